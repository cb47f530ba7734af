#!/usr/bin/env bash
# Migrate, load the demo tenants and start every process under one supervisor (honcho):
# nginx on HOST:PORT in front of gunicorn (HTTP) and daphne (/ws/), the Celery worker
# and Celery beat. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/env.sh
PY=.venv/bin/python

DATABASE_URL=$MIGRATE_DATABASE_URL $PY manage.py migrate --no-input
$PY manage.py collectstatic --no-input -v 0
$PY manage.py load_demo

# gunicorn workers share Prometheus counters through this directory; start it empty.
export PROMETHEUS_MULTIPROC_DIR="$ROOT/var/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

mkdir -p var/nginx/tmp
sed -e "s#@ROOT@#$ROOT#g" -e "s#@HOST@#$HOST#g" -e "s#@PORT@#$PORT#g" \
    -e "s#@WSGI_PORT@#$WSGI_PORT#g" -e "s#@ASGI_PORT@#$ASGI_PORT#g" \
    deploy/nginx.conf.template > var/nginx/nginx.conf
if [ "$(id -u)" = 0 ]; then chown -R nobody var/nginx/tmp; fi
chmod -R a+rX var/static

cat <<MSG

  Youtility is starting on http://$HOST:$PORT/

    Web console    http://$HOST:$PORT/
    REST API       http://$HOST:$PORT/api/v1/         (docs: /api/v1/docs/, /api/v1/redoc/)
    GraphQL        http://$HOST:$PORT/graphql/
    WebSocket      ws://$HOST:$PORT/ws/noc/
    Admin          http://$HOST:$PORT/admin/
    Health         http://$HOST:$PORT/healthz   /readyz   /metrics

  Demo logins (password: youtility-demo), companies "acme" and "globex":
    admin, supervisor, guard1, guard2, client1

  Press Ctrl-C to stop every process.

MSG
exec .venv/bin/honcho -f Procfile start
