#!/usr/bin/env python3
"""sentence-transformers peer of `npm run bench -- encode`: SentenceTransformer(folder).encode on the same texts.

Loads the sentence-transformers folder polyret saved (Transformer + Pooling, the folder's max_seq_length and
pooling), and encodes each request's texts with model.encode (its own tokenisation, length-sorted batches of
--batch-size, inference mode), in fp32 or under torch.autocast('cpu', dtype=torch.bfloat16).

--serve (the only mode): prints one ready line, then answers each stdin line
{"texts": path.json, "out": path.npy, "precision": "fp32" | "bf16"} with {"seconds": ..., "texts": N, "dim": D}.
"""
import argparse
import contextlib
import json
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--batch-size", type=int, default=32)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--serve", action="store_true")
a = ap.parse_args()

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(a.threads)
import sentence_transformers  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

if not a.serve:
    sys.exit("encode_peer.py only runs under bench/encode.ts (--serve)")
model = SentenceTransformer(a.model, device="cpu")
model.eval()
print(json.dumps({"ready": True, "torch": torch.__version__, "transformers": transformers.__version__,
                  "sentenceTransformers": sentence_transformers.__version__, "threads": torch.get_num_threads(),
                  "maxSeqLength": model.max_seq_length,
                  "attention": model[0].auto_model.config._attn_implementation}), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    req = json.loads(line)
    texts = json.load(open(req["texts"]))
    cast = torch.autocast("cpu", dtype=torch.bfloat16) if req["precision"] == "bf16" else contextlib.nullcontext()
    t0 = time.perf_counter()
    with cast:
        out = model.encode(texts, batch_size=a.batch_size, convert_to_tensor=True, show_progress_bar=False)
    out = out.float().numpy()
    sec = time.perf_counter() - t0
    np.save(req["out"], out.astype(np.float32))
    print(json.dumps({"seconds": sec, "texts": len(texts), "dim": int(out.shape[1])}), flush=True)
