"""What more than one test file uses: fakes (Rasa, a web channel, Telegram), store builders and fixtures,
the running assistant, a throw-away PostgreSQL, and domain.yml's responses as the parent reads them.

tests/conftest.py registers the fixtures defined here; everything else is imported from tests.support.*."""
