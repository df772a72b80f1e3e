#!/usr/bin/env bash
# Run every check: lint, format, types, and the full test suite against real PostgreSQL.
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
export COHORT_ENV=test

echo "==> ruff check" >&2
.venv/bin/ruff check .
echo "==> ruff format --check" >&2
.venv/bin/ruff format --check .
echo "==> mypy (strict, src/)" >&2
.venv/bin/mypy
echo "==> pytest" >&2
.venv/bin/pytest "$@"
