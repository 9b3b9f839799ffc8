#!/usr/bin/env bash
# Issue #12's end-to-end check: train the demo's model (polyret demo, fp32), export it to ONNX (fp32 and int8),
# evaluate MLQA-R (7 languages, full pools) through libtorch and through onnxruntime-node, and compare every
# setting's mAP (compare-lareqa.mjs: fails if the fp32 export differs by more than 1e-4). About 12 minutes on
# the 2-core development machine.
#   bash scripts/checks/onnx-demo-mlqa.sh [OUT_DIR]     (default runs/onnx-demo-check)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/runs/onnx-demo-check}"
polyret() { node "$root/bin/polyret.js" "$@"; }
mkdir -p "$out"
if [ ! -f "$out/demo/final/model.safetensors" ]; then
  polyret demo --output "$out/demo" --precision fp32 --quiet
fi
rm -rf "$out/onnx" "$out/onnx-int8"
polyret export --model "$out/demo/final" --format onnx --output "$out/onnx"
polyret export --model "$out/demo/final" --format onnx --quantize int8 --output "$out/onnx-int8"
polyret eval --task mlqa-r --model "$out/demo/final" --out "$out/mlqa-r-libtorch.json" > "$out/mlqa-r-libtorch.txt"
polyret eval --task mlqa-r --model "$out/onnx" --runtime onnx --out "$out/mlqa-r-onnx.json" > "$out/mlqa-r-onnx.txt"
polyret eval --task mlqa-r --model "$out/onnx-int8" --runtime onnx --onnx-file onnx/model_quantized.onnx --out "$out/mlqa-r-onnx-int8.json" > "$out/mlqa-r-onnx-int8.txt"
echo "== libtorch against the fp32 ONNX export (must agree within 1e-4)"
node "$root/scripts/checks/compare-lareqa.mjs" "$out/mlqa-r-libtorch.json" "$out/mlqa-r-onnx.json" --tol 1e-4
echo "== libtorch against the int8 export (the quantization's effect; informational)"
node "$root/scripts/checks/compare-lareqa.mjs" "$out/mlqa-r-libtorch.json" "$out/mlqa-r-onnx-int8.json" --tol 1 || true
