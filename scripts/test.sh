#!/usr/bin/env bash
# Run the whole suite against the real PostgreSQL/PostGIS, Redis and Mosquitto.
# pytest's "no tests ran" (exit 5) counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export DJANGO_SETTINGS_MODULE=youtility.settings.test
# The suite creates its databases as the schema owner, then runs as the runtime role.
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://youtility@127.0.0.1:5432/youtility}
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
