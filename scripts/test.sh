#!/usr/bin/env bash
# Set up and run the whole test suite (slow and browser tests included), plus the linter.
# The browser tests drive Debian's Chromium: it is installed here when missing and we are root
# (CI is); otherwise those tests are skipped and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests (tests/e2e)..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      >/dev/null || echo "could not install chromium: the browser tests will be skipped" >&2
  else
    echo "no chromium and not root: the browser tests (tests/e2e) will be skipped" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
