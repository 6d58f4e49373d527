"""The production topology on one machine: haproxy, 2 gateways, 2 Rasa servers, 2 action servers,
PostgreSQL and Redis under supervisord (`make cluster`, `python -m bot.cluster`; README "Production
topology")."""
