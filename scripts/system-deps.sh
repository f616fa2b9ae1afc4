#!/usr/bin/env bash
# Install the system packages the app needs, where this machine lets us; otherwise say
# exactly what is missing and how to install it. Usage: system-deps.sh pango [gettext] [chromium] [pgbouncer] [wrk]
set -euo pipefail

missing=()
# Read the library cache once: `ldconfig -p | grep -q` can fail under pipefail when grep
# exits early and ldconfig gets SIGPIPE.
libs=$(ldconfig -p 2>/dev/null || true)
for want in "$@"; do
  case "$want" in
    pango)
      if [[ "$libs" != *libpango-1.0.so.0* || "$libs" != *libpangoft2-1.0.so.0* ]]; then
        missing+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
      fi
      ;;
    gettext)
      # msgfmt compiles the translations (scripts/translations_check.py); makemessages uses
      # xgettext and msgmerge from the same package.
      command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
      ;;
    chromium)
      [ -x /usr/bin/chromium ] || missing+=(chromium)
      ;;
    pgbouncer)
      # The connection pooler for `make pgbouncer` (transaction pooling in front of PostgreSQL).
      command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
      ;;
    wrk)
      # The benchmark's saturation measure (bench/saturation.py); without it a Python client.
      command -v wrk >/dev/null 2>&1 || missing+=(wrk)
      ;;
    *) echo "system-deps.sh: unknown component '$want'" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "Installing system packages with sudo: ${missing[*]}"
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})," >&2
  echo "then run make again." >&2
  exit 1
fi
