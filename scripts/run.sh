#!/usr/bin/env bash
# Start the action server, Rasa and the gateway under supervisord (ops/supervisord.conf), in the
# foreground: a process that stops is started again; Ctrl-C (or SIGTERM) stops all three.
# Ports and the model can be changed with RASA_PORT, ACTIONS_PORT, GATEWAY_PORT and MODEL; logs, the
# pid file and the control socket go to SCHEIDINGSPUNT_VAR (default var/), the virtualenv is SCHEIDINGSPUNT_VENV (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export GATEWAY_PORT="${GATEWAY_PORT:-8080}"
export MODEL="${MODEL:-models/scheidingspunt.tar.gz}"
# Only the gateway (and the action server's callers) talk to Rasa: it listens on loopback by default.
export RASA_INTERFACE="${RASA_INTERFACE:-127.0.0.1}"
SCHEIDINGSPUNT_HOME="$(pwd)"
SCHEIDINGSPUNT_VENV="$(cd "${SCHEIDINGSPUNT_VENV:-.venv}" && pwd)"
mkdir -p "${SCHEIDINGSPUNT_VAR:-var}/log"
SCHEIDINGSPUNT_VAR="$(cd "${SCHEIDINGSPUNT_VAR:-var}" && pwd)"
chmod 700 "$SCHEIDINGSPUNT_VAR"
export SCHEIDINGSPUNT_HOME SCHEIDINGSPUNT_VENV SCHEIDINGSPUNT_VAR
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
export ACTION_ENDPOINT_URL="http://localhost:${ACTIONS_PORT}/webhook"
export TRACKER_DIALECT="${TRACKER_DIALECT:-sqlite}" TRACKER_DB="${TRACKER_DB:-var/tracker.db}"
export TRACKER_HOST="${TRACKER_HOST:-}" TRACKER_USER="${TRACKER_USER:-}" TRACKER_PASSWORD="${TRACKER_PASSWORD:-}"

# The project's own store (callbacks, hand-overs, figures): SQLite under var/ unless DATABASE_URL is set.
# Callback phone numbers are encrypted with a Fernet key; for local use one is generated in var/.
if [ -z "${SCHEIDINGSPUNT_FERNET_KEY:-}" ]; then
  SCHEIDINGSPUNT_FERNET_KEY="$("$SCHEIDINGSPUNT_VENV/bin/python" -c 'from bot.store.crypto import ensure_local_key; print(ensure_local_key())')"
  export SCHEIDINGSPUNT_FERNET_KEY
fi
# Validates the municipality, facts and screening files and migrates the database; stops on errors.
"$SCHEIDINGSPUNT_VENV/bin/python" -m bot.startup

# Rasa's HTTP API is on (the gateway hands conversations back through it), behind a token.
RASA_TOKEN="${RASA_TOKEN:-$("$SCHEIDINGSPUNT_VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')}"
export RASA_TOKEN
# Sanic takes bodies up to 100 MB by default; Rasa's callers send a few kB. Only Rasa gets this limit
# (ops/supervisord.conf): Rasa posts the whole tracker to the action server.
export RASA_MAX_REQUEST_BYTES="${RASA_MAX_REQUEST_BYTES:-1048576}"
# The gateway: web chat (socket.io) and Telegram (when TELEGRAM_TOKEN is set) in front of Rasa.
export RASA_URL="http://127.0.0.1:${RASA_PORT}"

echo "Scheidingspunt starting: gateway on http://localhost:${GATEWAY_PORT}, Rasa on :${RASA_PORT}, actions on :${ACTIONS_PORT}"
for program in gateway rasa actions; do
  echo "  ${program} log: ${SCHEIDINGSPUNT_VAR}/log/${program}.log"
done
echo "  supervisord log: ${SCHEIDINGSPUNT_VAR}/log/supervisord.log; a process that stops is started again, Ctrl-C stops everything"
echo "  status: ${SCHEIDINGSPUNT_VENV}/bin/supervisorctl -s unix://${SCHEIDINGSPUNT_VAR}/supervisor.sock status"
# supervisord takes this shell's place, so Ctrl-C and SIGTERM reach it directly.
exec "$SCHEIDINGSPUNT_VENV/bin/supervisord" --nodaemon --configuration ops/supervisord.conf
