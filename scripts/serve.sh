#!/usr/bin/env bash
# Run the whole service on this machine: API (http://127.0.0.1:8000, docs at /docs) and the job worker.
# Usage: scripts/serve.sh [--demo]   (--demo loads whatever part of the demo is missing and prints one
#                                     new API token per demo role: admin, instructor, mentor, learner)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
# A local run is development (the published development key, plain-HTTP cookies and demo data are
# allowed only there); anything else must set COHORT_ENV=production and a strong SECRET_KEY.
export COHORT_ENV="${COHORT_ENV:-development}"

.venv/bin/cohort db upgrade
if [ "${1:-}" = "--demo" ] || [ "${COHORT_DEMO:-0}" = "1" ]; then
  .venv/bin/cohort demo
fi

.venv/bin/cohort worker &
WORKER=$!
.venv/bin/cohort api &
API=$!
stop() { kill -TERM "$API" "$WORKER" 2>/dev/null || true; wait "$API" "$WORKER" 2>/dev/null || true; }
trap stop INT TERM
# Stop both when either exits.
wait -n "$API" "$WORKER" || true
stop
