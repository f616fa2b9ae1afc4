#!/usr/bin/env bash
# Serve the app with production settings through gunicorn (`make serve-prod`).
#
# Without ENV_FILE in the environment this is a LOCAL TRIAL: the production-shaped settings and
# a self-signed TLS certificate are derived from the development .env into .prod-local/
# (git-ignored; see victimsupport/prodenv.py), and gunicorn serves https://127.0.0.1:8000.
# A real deployment sets its own variables (ENV_FILE pointing outside the code folder, or
# ENV_FILE="" and everything in the service's environment) and its own certificate
# (GUNICORN_CERTFILE/GUNICORN_KEYFILE, or a TLS proxy with TRUST_X_FORWARDED_PROTO=true).
#
# MIGRATE=1 applies migrations and creates the cache table first; otherwise the script refuses
# to start on a database that lacks them. Static files are always collected (whitenoise serves
# them from staticfiles/). gunicorn's own settings come from gunicorn.conf.py (GUNICORN_*).
# A background worker (manage.py db_worker) runs alongside unless WORKER=0.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
export DJANGO_ENV=production

if [ -z "${ENV_FILE+set}" ]; then
    "$PY" -m victimsupport.prodenv --dev-env .env --out .prod-local
    export ENV_FILE=.prod-local/env
    export GUNICORN_CERTFILE=${GUNICORN_CERTFILE:-.prod-local/tls/cert.pem}
    export GUNICORN_KEYFILE=${GUNICORN_KEYFILE:-.prod-local/tls/key.pem}
fi

"$PY" manage.py collectstatic --noinput --verbosity 0

if [ "${MIGRATE:-0}" = "1" ]; then
    "$PY" manage.py migrate --noinput
    "$PY" manage.py createcachetable
elif ! "$PY" manage.py migrate --check >/dev/null; then
    echo "The database has unapplied migrations: run \`make serve-prod MIGRATE=1\`." >&2
    exit 1
elif [ -n "$("$PY" manage.py createcachetable --dry-run --verbosity 0)" ]; then
    echo "The cache table is missing: run \`make serve-prod MIGRATE=1\`." >&2
    exit 1
fi

scheme=http
[ -n "${GUNICORN_CERTFILE:-}" ] && scheme=https
if [ "${WORKER:-1}" = "0" ]; then
    echo "Serving with production settings on ${scheme}://${GUNICORN_BIND:-127.0.0.1:8000} (Ctrl-C to stop)"
    exec "$PY" -m gunicorn -c gunicorn.conf.py
fi
# Production settings queue large PDFs for the background worker: run one alongside (WORKER=0
# leaves it out, for example when workers run as their own service).
"$PY" manage.py db_worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
echo "Serving with production settings on ${scheme}://${GUNICORN_BIND:-127.0.0.1:8000}, with a background worker (Ctrl-C to stop both)"
"$PY" -m gunicorn -c gunicorn.conf.py
