#!/usr/bin/env bash
# Runs the benchmark table of docs/benchmarks.md (train, train-step, encode; fp32 and bf16 rows; peers on PyTorch
# 2.13 with both malloc settings) twice: polyret on the addon `npm ci` built (Debian's libtorch 1.13, normally), and
# polyret on a second build against the libtorch inside the venv's PyTorch 2.13 wheel (built once into
# ${POLYRET_NATIVE_213:-/tmp/polyret-native-213}, outside the repo). Logs go to ${OUT:-runs/bench-both}/*.log; the
# last line of each is the bench's "NAME: polyret X, peer Y, ratio R" summary; train and train-step rows also give the
# per-step ratios' median and its 95 % interval (bench/lib/pairedRatio.ts). Needs a quiet machine: ~30 min on 2 cores
# with native bf16. Without it (e.g. AVX2 only) the peer's bf16 rows run PyTorch's bf16 loop (28-78 s per train-step
# on a 2-core Zen 3), so the whole run takes hours there: docs/benchmarks.md's Zen 3 section ran the bf16 train-step
# rows with --steps 4 --warmup 1 --peer-malloc tuned.
# An OPENBLAS_CORETYPE in the environment is kept (the user's choice wins over the addon's) and shows in the logs.
#   bash scripts/checks/bench-both-libtorches.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="${OUT:-runs/bench-both}"
build="${POLYRET_NATIVE_213:-/tmp/polyret-native-213}"
addon="$build/build/Release/polyret_native.node"
if [ ! -f "$addon" ]; then
  [ -x .venv/bin/python ] || bash scripts/setup-python.sh
  libtorch="$(.venv/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
  mkdir -p "$build"
  cp -r native/binding.gyp native/src native/find-libtorch.cjs "$build/"
  ln -sfn "$root/node_modules" "$build/node_modules" # node-addon-api's headers
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
  LIBTORCH="$libtorch" node_modules/.bin/node-gyp rebuild --jobs max --directory "$build"
fi
mkdir -p "$out"
benches=(
  "train"
  "train-step --configs L4/H256,L2/H512 --steps 12 --warmup 2"
  "encode --texts 1000 --base-texts 100 --round 250"
)
for b in "${benches[@]}"; do
  name="${b%% *}"
  echo "== $b (libtorch 1.13 build)"
  node dist/bench/index.js $b 2>&1 | tee "$out/$name-1.13.log" | tail -1
  echo "== $b (libtorch 2.13 build)"
  POLYRET_NATIVE="$addon" node dist/bench/index.js $b 2>&1 | tee "$out/$name-2.13.log" | tail -1
done
