#!/usr/bin/env bash
# Installs what the one-time-code suites need beyond Rust: Python 3 with aiosmtpd (the real SMTP
# server the e-mail delivery tests send to), Node.js (the VerifyClient tests) and wrk (the
# /otp/validate load measurement). Idempotent; does nothing when all are present.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    # Debian marks its Python as externally managed; this is a test tool of the machine. If
    # PyPI cannot be reached, Debian's own package will do.
    $SUDO python3 -m pip install --quiet --disable-pip-version-check --break-system-packages \
        'aiosmtpd>=1.4' 2>/dev/null \
        || $SUDO python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4' 2>/dev/null \
        || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
             $SUDO apt-get install -y -qq --no-install-recommends python3-aiosmtpd >/dev/null; }
fi
python3 -c 'import aiosmtpd' >/dev/null
