#!/usr/bin/env bash
# Makes the Python virtual environment that polyret's references, peers and fixture generators use
# (never polyret itself): .venv in the project root, from scripts/python/requirements.txt.
#   bash scripts/setup-python.sh            # creates or updates .venv
#   bash scripts/setup-python.sh --torch-only   # torch alone (CI: the libtorch 2.13 build needs nothing else)
#   POLYRET_VENV=/path bash scripts/setup-python.sh
# The CPU wheel of torch 2.13.0 is taken from pip's find-links when present (see requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${POLYRET_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# torch first and alone, so that no later requirement can pull a CUDA build in its place.
"$venv/bin/python" -m pip install -q "$(grep -E '^torch==' scripts/python/requirements.txt)"
if [ "${1:-}" = "--torch-only" ]; then
  "$venv/bin/python" -c 'import torch; print("venv torch", torch.__version__)'
  exit 0
fi
"$venv/bin/python" -m pip install -q -r scripts/python/requirements.txt
"$venv/bin/python" -c 'import torch, transformers, sentence_transformers, tokenizers; print("venv", torch.__version__, transformers.__version__, sentence_transformers.__version__, tokenizers.__version__)'
