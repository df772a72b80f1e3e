#!/usr/bin/env bash
# Shared set-up for scripts/serve.sh and scripts/test.sh; safe to run again and again.
# - creates .venv and installs the pinned, hash-checked dependencies (requirements-dev.lock: runtime
#   and dev tools; the runtime-only requirements.lock is what the Docker image installs) plus the project
# - starts PostgreSQL and Redis on this machine if they are not answering
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Python 3.11 or newer is required" >&2
  exit 1
}

install_deps() {
  if [ ! -x .venv/bin/python ]; then
    log "creating virtual environment in .venv"
    "$(pick_python)" -m venv .venv
  fi
  local stamp=.venv/.cohort-installed want
  want="$(cat requirements-dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    log "installing pinned dependencies"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$want" >"$stamp"
  fi
}

pg_up() {
  .venv/bin/python - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
}

redis_up() {
  .venv/bin/python - <<'PY' 2>/dev/null
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 6379), timeout=1)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 30); do
    if "$check"; then return 0; fi
    sleep 1
  done
  echo "$what did not come up on 127.0.0.1" >&2
  exit 1
}

ensure_services() {
  if ! pg_up; then
    log "starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    else
      echo "PostgreSQL is not running and pg_ctlcluster is not installed; start PostgreSQL on 127.0.0.1:5432" >&2
      exit 1
    fi
    wait_for PostgreSQL pg_up
  fi
  if ! redis_up; then
    log "starting Redis"
    if command -v redis-server >/dev/null 2>&1; then
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
    else
      echo "Redis is not running and redis-server is not installed; start Redis on 127.0.0.1:6379" >&2
      exit 1
    fi
    wait_for Redis redis_up
  fi
}

install_deps
ensure_services
