-- Rasa's tracker store, apart from the project's store (POSTGRES_DB): both have an `events` table.
CREATE DATABASE rasa OWNER scheidingspunt;
