#!/usr/bin/env bash
# Installs what the Django example (examples/django) and its end-to-end test need: Django and
# requests from PyPI. Idempotent; does nothing when both are present.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c 'import django, requests' >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian marks its Python as externally managed; these are the example's own dependencies.
$SUDO python3 -m pip install --quiet --disable-pip-version-check --break-system-packages \
    -r examples/django/requirements.txt 2>/dev/null \
  || $SUDO python3 -m pip install --quiet --disable-pip-version-check -r examples/django/requirements.txt
python3 -c 'import django, requests' >/dev/null
