"""Dutch language handling: the spaCy pipeline, entity patterns and the Rasa safety guard."""
