"""Custom actions for the Scheidingspunt assistant (rasa-sdk action server)."""
