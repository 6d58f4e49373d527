"""Privacy by design: the SQL tracker store that keeps Rasa's trackers redacted (the masking itself is
bot/domain/redact.py)."""
