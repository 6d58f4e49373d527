#!/usr/bin/env bash
# Start the action server and the Rasa server together; Ctrl-C stops both.
# Ports and the model can be changed with RASA_PORT, ACTIONS_PORT and MODEL.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
GATEWAY_PORT="${GATEWAY_PORT:-8080}"
MODEL="${MODEL:-models/scheidingspunt.tar.gz}"
mkdir -p var
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
export ACTION_ENDPOINT_URL="http://localhost:${ACTIONS_PORT}/webhook"
export TRACKER_DIALECT="${TRACKER_DIALECT:-sqlite}" TRACKER_DB="${TRACKER_DB:-var/tracker.db}"
export TRACKER_HOST="${TRACKER_HOST:-}" TRACKER_USER="${TRACKER_USER:-}" TRACKER_PASSWORD="${TRACKER_PASSWORD:-}"

# The project's own store (callbacks, hand-overs, figures): SQLite under var/ unless DATABASE_URL is set.
# Callback phone numbers are encrypted with a Fernet key; for local use one is generated in var/.
if [ -z "${SCHEIDINGSPUNT_FERNET_KEY:-}" ]; then
  SCHEIDINGSPUNT_FERNET_KEY="$(.venv/bin/python -c 'from bot.store.crypto import ensure_local_key; print(ensure_local_key())')"
  export SCHEIDINGSPUNT_FERNET_KEY
fi
# Validates the municipality, facts and screening files and migrates the database; stops on errors.
.venv/bin/python -m bot.startup

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping Scheidingspunt ..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
# Rasa's HTTP API is on (the gateway hands conversations back through it), behind a token.
export RASA_TOKEN="${RASA_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')}"
# Only the gateway (and the action server's callers) talk to Rasa: it listens on loopback by default.
# Sanic takes bodies up to 100 MB by default; Rasa's callers send a few kB (not for the action server:
# Rasa posts it the whole tracker).
SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}" .venv/bin/rasa run --model "$MODEL" --interface "${RASA_INTERFACE:-127.0.0.1}" --port "$RASA_PORT" --endpoints endpoints.yml \
  --credentials credentials.yml --cors "*" --enable-api --auth-token "$RASA_TOKEN" &
pids+=($!)
# The gateway: web chat (socket.io) and Telegram (when TELEGRAM_TOKEN is set) in front of Rasa.
RASA_URL="http://127.0.0.1:${RASA_PORT}" GATEWAY_PORT="$GATEWAY_PORT" .venv/bin/python -m bot.gateway &
pids+=($!)

echo "Scheidingspunt starting: gateway on http://localhost:${GATEWAY_PORT}, Rasa on :${RASA_PORT}, actions on :${ACTIONS_PORT}"
# Stop everything as soon as either process ends.
wait -n
