#!/usr/bin/env bash
# Make this checkout ready to run or test, installing only what is missing:
#   Debian packages (PostGIS for PostgreSQL 15, GDAL/GEOS/PROJ, fonts, nginx, ...),
#   the Python virtualenv from the pinned constraints, the local services (PostgreSQL,
#   Redis, Mosquitto: used when they answer on their standard ports, otherwise started
#   as project-local instances under var/), the database roles and databases.
#
# Usage: scripts/bootstrap.sh [--python-only] [--test]
#   --python-only  only the virtualenv (for `make lint`)
#   --test         also the packages the test suite needs (Chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
mkdir -p "$VAR"

PYTHON_ONLY=0
WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --python-only) PYTHON_ONLY=1 ;;
    --test) WITH_TEST=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
MQTT_PORT=${MQTT_PORT:-1883}
DB_NAME=${DB_NAME:-youtility}
DB_OWNER=${DB_OWNER:-youtility}
DB_APP=${DB_APP:-youtility_app}
DB_SEARCH=${DB_SEARCH:-youtility_search}
DB_TEMPLATE=${DB_TEMPLATE:-youtility_template}
PG_BIN=/usr/lib/postgresql/15/bin

# --- Debian packages ------------------------------------------------------------------
install_debian_packages() {
  local wanted=(
    postgresql-15 postgresql-client-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts
    redis-server redis-tools mosquitto mosquitto-clients
    gdal-bin libgdal32 libgeos-c1v5 libproj25 binutils
    nginx-light
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core fonts-liberation
    python3-venv
  )
  if [ "$WITH_TEST" = 1 ]; then
    wanted+=(chromium)
  fi
  local missing=()
  for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  # nginx-light or the full nginx both do.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v nginx >/dev/null; then
    missing=("${missing[@]/nginx-light}")
  fi
  missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "Missing Debian packages: ${missing[*]}" >&2
      echo "Run this as root, or: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# --- Python ---------------------------------------------------------------------------
install_python() {
  local stamp=".venv/.installed"
  local want
  want=$(cat requirements.in requirements-dev.in constraints.txt | sha256sum | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtualenv (.venv)"
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing Python packages (pinned by constraints.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r requirements-dev.in -c constraints.txt
    echo "$want" > "$stamp"
  fi
}

# --- Services -------------------------------------------------------------------------
port_open() { timeout 1 bash -c "</dev/tcp/$1/$2" 2>/dev/null; }

ensure_postgres() {
  if "$PG_BIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
    return
  fi
  say "PostgreSQL is not answering on $PGHOST:$PGPORT: starting a project-local one in var/postgres"
  local data="$VAR/postgres"
  mkdir -p "$data" "$VAR/run"
  local as_pg=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$data" "$VAR/run"
    as_pg=(runuser -u postgres --)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${as_pg[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$VAR/postgres.log" -w \
    -o "-p $PGPORT -c listen_addresses=$PGHOST -k $VAR/run" start >/dev/null
}

ensure_redis() {
  if port_open 127.0.0.1 "$REDIS_PORT"; then return; fi
  say "Redis is not answering on port $REDIS_PORT: starting a project-local one"
  mkdir -p "$VAR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$VAR/redis" \
    --save "" --appendonly no --logfile "$VAR/redis.log"
  for _ in $(seq 50); do port_open 127.0.0.1 "$REDIS_PORT" && return; sleep 0.1; done
  echo "Redis did not start; see var/redis.log" >&2; exit 1
}

ensure_mosquitto() {
  if port_open 127.0.0.1 "$MQTT_PORT"; then return; fi
  say "Mosquitto is not answering on port $MQTT_PORT: starting a project-local one"
  mkdir -p "$VAR/mosquitto"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s\n' \
    "$MQTT_PORT" "$VAR/mosquitto/mosquitto.log" > "$VAR/mosquitto/mosquitto.conf"
  chmod -R a+rwX "$VAR/mosquitto"
  mosquitto -d -c "$VAR/mosquitto/mosquitto.conf"
  for _ in $(seq 50); do port_open 127.0.0.1 "$MQTT_PORT" && return; sleep 0.1; done
  echo "Mosquitto did not start; see var/mosquitto/mosquitto.log" >&2; exit 1
}

# --- Database -------------------------------------------------------------------------
psql_super() { psql -v ON_ERROR_STOP=1 -q -X -h "$PGHOST" -p "$PGPORT" -U "${PGSUPERUSER:-postgres}" "$@"; }

ensure_database() {
  # Two roles: the owner runs migrations; the runtime role is no superuser, cannot bypass
  # row-level security and only gets DML on the owner's tables (default privileges).
  psql_super -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_OWNER') THEN
    CREATE ROLE $DB_OWNER LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_APP') THEN
    CREATE ROLE $DB_APP LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  -- Owns the search functions (SECURITY DEFINER): no login, reads only, bypasses RLS so
  -- the trigram indexes apply; the functions filter by the tenant setting themselves.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_SEARCH') THEN
    CREATE ROLE $DB_SEARCH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
  END IF;
END \$\$;
GRANT $DB_SEARCH TO $DB_OWNER;
SQL
  # A template with the extensions (which need a superuser) and the grants, so the owner
  # alone can create the application and test databases from it.
  if [ "$(psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_TEMPLATE'")" != 1 ]; then
    say "Creating the template database $DB_TEMPLATE (postgis, pg_trgm)"
    psql_super -d postgres -c "CREATE DATABASE $DB_TEMPLATE OWNER $DB_OWNER"
  fi
  psql_super -d "$DB_TEMPLATE" <<SQL
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gin;
GRANT USAGE ON SCHEMA public TO $DB_APP;
ALTER DEFAULT PRIVILEGES FOR ROLE $DB_OWNER IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO $DB_APP;
ALTER DEFAULT PRIVILEGES FOR ROLE $DB_OWNER IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO $DB_APP;
SQL
  grant_search_role "$DB_TEMPLATE"
  psql_super -d postgres -c "ALTER DATABASE $DB_TEMPLATE IS_TEMPLATE true" >/dev/null
  for db in "$DB_NAME" ${EXTRA_DATABASES:-}; do
    if [ "$(psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
      say "Creating database $db"
      psql_super -d postgres -c "CREATE DATABASE $db TEMPLATE $DB_TEMPLATE OWNER $DB_OWNER"
    fi
    grant_search_role "$db"  # databases made before the role existed
  done
}

grant_search_role() {
  psql_super -d "$1" <<SQL
GRANT USAGE, CREATE ON SCHEMA public TO $DB_SEARCH;
ALTER DEFAULT PRIVILEGES FOR ROLE $DB_OWNER IN SCHEMA public GRANT SELECT ON TABLES TO $DB_SEARCH;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $DB_SEARCH;
SQL
}

if [ "$PYTHON_ONLY" = 1 ]; then
  install_python
  exit 0
fi
install_debian_packages
install_python
ensure_postgres
ensure_redis
ensure_mosquitto
ensure_database
say "Setup complete"
