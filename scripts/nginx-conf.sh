#!/usr/bin/env bash
# Render deploy/nginx.conf.template on standard output, from the environment: ROOT (the
# checkout whose var/ nginx uses), HOST, PORT, WSGI_PORT, ASGI_PORT, USER_LINE (may be
# empty), and NGINX_PROXY_METRICS (1 to pass /metrics from outside to the app, which still
# answers only loopback clients and holders of METRICS_TOKEN; off by default).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${NGINX_PROXY_METRICS:-0}" in
  1 | true | yes | on) METRICS_PROXY=on ;;
  0 | false | no | off) METRICS_PROXY=off ;;
  *)
    echo "NGINX_PROXY_METRICS must be 0 or 1, got ${NGINX_PROXY_METRICS}" >&2
    exit 1
    ;;
esac
sed -e "s#@ROOT@#$ROOT#g" -e "s#@HOST@#$HOST#g" -e "s#@PORT@#$PORT#g" \
    -e "s#@WSGI_PORT@#$WSGI_PORT#g" -e "s#@ASGI_PORT@#$ASGI_PORT#g" -e "s#@USER_LINE@#${USER_LINE:-}#g" \
    -e "s#@METRICS_PROXY@#$METRICS_PROXY#g" deploy/nginx.conf.template
