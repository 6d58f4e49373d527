#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.10 only), or fail with what to install.
set -euo pipefail
candidates=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
  done
fi
for dir in "$HOME/.pyenv/versions"/3.10*; do
  [ -d "$dir" ] && candidates+=("$dir/bin/python3.10")
done
for c in "${candidates[@]}"; do
  if py=$(command -v "$c" 2>/dev/null) && "$py" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$py"
    exit 0
  fi
done
cat >&2 <<'MSG'
ERROR: no Python 3.10 found. Rasa Open Source 3.6 runs on Python 3.10 only.
Install one, for example:
  pyenv install 3.10        (then re-run this command)
  or: apt-get install python3.10 python3.10-venv
MSG
exit 1
