#!/usr/bin/env bash
# Set up, make the sample documents searchable (a no-op when they already are), start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
status=0
.venv/bin/rag ingest data/samples || status=$?
# 1: some files failed, the rest are searchable; anything else (a setting, the data folder,
# a stop) would stop the app as well, and was said above
if [ "$status" -gt 1 ]; then exit "$status"; fi
if [ "$status" -eq 1 ]; then echo "some sample files failed to ingest (see above)"; fi
exec .venv/bin/rag ui "$@"
