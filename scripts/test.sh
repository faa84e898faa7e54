#!/usr/bin/env bash
# Set up and run the whole test suite (slow and browser tests included), plus the linters.
# The tests use Debian's chromium (the browser tests) and redis-server (limits shared between
# engine replicas): they are installed here when missing and we are root (CI is); otherwise
# those tests are skipped and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's ${missing[*]} for the tests..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
      >/dev/null || echo "could not install ${missing[*]}: their tests will be skipped" >&2
  else
    echo "missing ${missing[*]} and not root: their tests will be skipped" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
# -m "" lifts the quick loop's marker filter (pyproject.toml): every test runs unless "$@" says -m
exec .venv/bin/python -m pytest -m "" "$@"
