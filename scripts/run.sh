#!/usr/bin/env bash
# Migrate, load the demo tenants and start every process under one supervisor (honcho):
# nginx on HOST:PORT in front of gunicorn (HTTP) and daphne (/ws/), the Celery worker
# and Celery beat. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/env.sh
PY=.venv/bin/python

# Another instance (or anything else) on the port would make nginx fail after everything
# else has started; say so plainly instead.
for address in "$HOST:$PORT" "127.0.0.1:$WSGI_PORT" "127.0.0.1:$ASGI_PORT"; do
  if timeout 1 bash -c "</dev/tcp/${address%:*}/${address##*:}" 2>/dev/null; then
    echo "$address is already in use (another \`make run\`?). Stop it, or choose another base port: PORT=9000 make run" >&2
    exit 1
  fi
done

# The first command to load the settings also creates the signing keys under var/ when
# they are not in the environment, before any long-running process starts.
DATABASE_URL=$MIGRATE_DATABASE_URL $PY manage.py migrate --no-input
$PY manage.py collectstatic --no-input -v 0
$PY manage.py load_demo

# Where this installation listens: webhooks never reach these, even inside a network the
# operator allows (see WEBHOOK_ALLOWED_PRIVATE_NETWORKS in docs/operations.md).
if [[ $HOST == *:* ]]; then front="[$HOST]:$PORT"; else front="$HOST:$PORT"; fi
export INSTALLATION_ENDPOINTS=${INSTALLATION_ENDPOINTS:-$front,127.0.0.1:$WSGI_PORT,127.0.0.1:$ASGI_PORT}

# gunicorn workers share Prometheus counters through this directory; start it empty.
export PROMETHEUS_MULTIPROC_DIR="$ROOT/var/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# nginx started as root runs its workers as "nobody" unless told otherwise; "nobody"
# cannot enter a checkout under a private directory (a home, or mktemp -d), so the
# workers run as the owner of the checkout instead.
mkdir -p var/nginx/tmp
USER_LINE=""
if [ "$(id -u)" = 0 ]; then
  owner=$(stat -c %U "$ROOT")
  USER_LINE="user $owner;"
  chown -R "$owner" var/nginx/tmp
fi
ROOT=$ROOT USER_LINE=$USER_LINE scripts/nginx-conf.sh > var/nginx/nginx.conf
chmod -R a+rX var/static

cat <<MSG

  Youtility is starting on http://$HOST:$PORT/

    Web console    http://$HOST:$PORT/
    REST API       http://$HOST:$PORT/api/v1/         (docs: /api/v1/docs/, /api/v1/redoc/)
    GraphQL        http://$HOST:$PORT/graphql/
    WebSocket      ws://$HOST:$PORT/ws/noc/
    Admin          http://$HOST:$PORT/admin/
    Health         http://$HOST:$PORT/healthz   /readyz
    Metrics        http://127.0.0.1:$WSGI_PORT/metrics   (this host only, or with METRICS_TOKEN)

  Demo logins (password: youtility-demo), companies "acme" and "globex":
    admin, supervisor, guard1, guard2, client1

  Press Ctrl-C to stop every process.

MSG
exec .venv/bin/honcho -f Procfile start
