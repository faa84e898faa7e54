#!/usr/bin/env bash
# Set up and run the whole test suite (slow tests included), plus the linter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
