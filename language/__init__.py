"""Dutch language handling: the spaCy pipeline, entity patterns and the Rasa safety guard."""

from language import fingerprints

# Rasa imports this package for the components config.yml names, before a training starts: its training
# cache then fingerprints with the faster functions (language/fingerprints.py).
fingerprints.install()
