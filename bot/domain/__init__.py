"""The Rasa-free domain: municipalities, facts, opening hours, moments, eligibility, screening scoring,
parsing, phone numbers, the texts the actions put together, and the names every layer shares.

It imports nothing from `actions`, `bot.store`, `bot.gateway` or `bot.console`: everything else imports
it (tests/test_layers.py checks this).
"""
