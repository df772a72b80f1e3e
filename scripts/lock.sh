#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml (needs network access to PyPI):
#   requirements.lock      runtime dependencies only (the Docker image installs this one)
#   requirements-dev.lock  runtime + the dev extra (tests, linters; scripts/bootstrap.sh installs this one)
# Versions already pinned in either file are kept (they are passed as constraints), so after adding
# a dependency to pyproject.toml (or a plain `name==version` line to a lock) only that one is resolved.
# Usage: scripts/lock.sh [--upgrade]   (--upgrade resolves everything afresh, to the newest allowed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TOOLS="${TMPDIR:-/tmp}/cohort-pip-tools"
if [ ! -x "$TOOLS/bin/pip-compile" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "pip-tools>=7.5"
fi

PINS="$(mktemp)"
trap 'rm -f "$PINS"' EXIT
if [ "${1:-}" != "--upgrade" ]; then
  cat requirements.lock requirements-dev.lock 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+(\[[^]]*\])?==' |
    sed -E 's/ *\\$//; s/\[[^]]*\]//' | sort -u >"$PINS" || true
fi

# Only PyPI, whatever the local pip configuration adds (local wheel folders would record hashes
# of files no other machine can download).
compile() {
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS="" PIP_CONSTRAINT="" "$TOOLS/bin/pip-compile" \
    --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
    --index-url https://pypi.org/simple --constraint "$PINS" "$@" pyproject.toml
}
compile --output-file requirements.lock
compile --extra dev --output-file requirements-dev.lock
# the constraints file is temporary: keep its path out of the committed files
sed -i -E '\|^    #   -c /|d; s|--constraint=[^ ]+|--constraint=<pins of the previous lock>|' \
  requirements.lock requirements-dev.lock
echo "wrote requirements.lock and requirements-dev.lock" >&2
