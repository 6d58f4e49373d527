"""Privacy by design: masking personal numbers and forgetting conversations on request."""
