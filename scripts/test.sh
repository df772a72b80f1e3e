#!/usr/bin/env bash
# Run every check: lint, format, types, and the full test suite against real PostgreSQL.
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh

# The PgBouncer smoke test (tests/ops/test_pgbouncer.py) starts Debian's pgbouncer on a private port.
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing pgbouncer (Debian package)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; }
    # the package's own service is not wanted: tests start their own instance
    (command -v service >/dev/null 2>&1 && service pgbouncer stop >/dev/null 2>&1) || true
  else
    echo "pgbouncer is not installed; install it (apt-get install pgbouncer) for the PgBouncer test" >&2
  fi
fi

echo "==> ruff check" >&2
.venv/bin/ruff check .
echo "==> ruff format --check" >&2
.venv/bin/ruff format --check .
echo "==> mypy (strict, src/)" >&2
.venv/bin/mypy
echo "==> pytest" >&2
.venv/bin/pytest "$@"
