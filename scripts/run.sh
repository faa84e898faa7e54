#!/usr/bin/env bash
# Set up, make the sample documents searchable (a no-op when they already are), start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/rag ingest data/samples || echo "some sample files failed to ingest (see above)"
exec .venv/bin/rag ui "$@"
