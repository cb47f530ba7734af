# Shared environment for the scripts: local defaults that `make run` and `make test` use.
# Anything already set in the environment wins.
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-youtility.settings}
export DATABASE_URL=${DATABASE_URL:-postgres://youtility_app@127.0.0.1:5432/youtility}
export MIGRATE_DATABASE_URL=${MIGRATE_DATABASE_URL:-postgres://youtility@127.0.0.1:5432/youtility}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export MQTT_URL=${MQTT_URL:-mqtt://127.0.0.1:1883}
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
export WSGI_PORT=${WSGI_PORT:-$((PORT + 1))}
export ASGI_PORT=${ASGI_PORT:-$((PORT + 2))}
