#!/usr/bin/env bash
# Run one benchmark from bench/ against its own database (youtility_bench), so it never
# touches the demo data of `make run`. Its last line reads
# "<name>: <figures> ratio <r> vs <baseline>".
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: scripts/bench.sh <name>}
if [ ! -f "bench/$NAME.py" ]; then
  echo "no benchmark bench/$NAME.py; available: $(ls bench/*.py | xargs -n1 basename | sed 's/\.py$//' | grep -v '^_' | tr '\n' ' ')" >&2
  exit 2
fi
source scripts/env.sh
export DATABASE_URL=postgres://youtility_app@127.0.0.1:5432/youtility_bench
export DEBUG=false LOG_LEVEL=WARNING CACHE_KEY_PREFIX=yt-bench CHANNEL_PREFIX=yt-bench-ch
DATABASE_URL=postgres://youtility@127.0.0.1:5432/youtility_bench .venv/bin/python manage.py migrate --no-input -v 0
exec .venv/bin/python "bench/$NAME.py"
