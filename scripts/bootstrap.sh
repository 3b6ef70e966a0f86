#!/usr/bin/env bash
# Installs everything the portal needs into this checkout: uv, the Python
# packages (.venv, from uv.lock), the npm packages and the compiled front end.
# Safe to run repeatedly; `make run` and `make test` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# A Python 3.12+ interpreter: $PYTHON, then python3.13/python3.12 on PATH, then pyenv.
find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12)
  if command -v pyenv >/dev/null 2>&1; then
    for v in 3.13 3.12; do
      local prefix
      prefix=$(pyenv prefix "$(pyenv versions --bare 2>/dev/null | grep -E "^${v}(\.[0-9]+)?$" | sort -V | tail -1)" 2>/dev/null || true)
      [ -n "$prefix" ] && candidates+=("$prefix/bin/python3")
    done
  fi
  for dir in "$HOME"/.pyenv/versions/3.13* "$HOME"/.pyenv/versions/3.12*; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  done
  candidates+=(python3)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

PY=$(find_python) || { echo "Python 3.12 or newer is required (set PYTHON=/path/to/python3.12+)." >&2; exit 1; }

# uv: on PATH (and working: a pyenv shim may not be), or installed with pip for the
# interpreter found above.
UV=""
if uv --version >/dev/null 2>&1; then
  UV=$(command -v uv)
fi
if [ -z "$UV" ]; then
  UV_DIR=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  if [ ! -x "$UV_DIR/uv" ]; then
    log "Installing uv"
    "$PY" -m pip install --quiet --disable-pip-version-check uv
  fi
  UV="$UV_DIR/uv"
fi

log "Installing Python packages (uv sync, $("$PY" --version))"
UV_PYTHON="$PY" UV_PYTHON_DOWNLOADS=never "$UV" sync --frozen --quiet

if ! command -v npm >/dev/null 2>&1; then
  echo "Node.js 20+ and npm are required for the front end." >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "Installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "Building the front end"
npm run --silent build >/dev/null
