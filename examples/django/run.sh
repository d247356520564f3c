#!/usr/bin/env bash
# Starts the example on http://127.0.0.1:${PORT:-8000}: installs Django and requests if missing,
# migrates its own SQLite database (EXAMPLE_DB, default db.sqlite3 here), then runs Django's
# server. A keycadence server must be running (KEYCADENCE_URL, default http://127.0.0.1:8080,
# started with --recorder-script so it serves /scripts/keycadence.js), with a key in
# TYPINGDNA_API_KEY and TYPINGDNA_API_SECRET (`keycadence-server keys create`). The e-mailed
# sign-in links go to the SMTP server at EMAIL_HOST:EMAIL_PORT (default 127.0.0.1:1025).
set -euo pipefail
cd "$(dirname "$0")"

if [ -z "${TYPINGDNA_API_KEY:-}" ] || [ -z "${TYPINGDNA_API_SECRET:-}" ]; then
  echo "set TYPINGDNA_API_KEY and TYPINGDNA_API_SECRET (keycadence-server keys create prints them)" >&2
  exit 2
fi
if ! python3 -c 'import django, requests' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r requirements.txt
fi
python3 manage.py migrate --noinput --verbosity 0
exec python3 manage.py runserver --noreload --skip-checks "127.0.0.1:${PORT:-8000}"
