#!/usr/bin/env python3
"""Peer for `npm run bench -- encode`: the same encoder run by PyTorch (eager), on the same token ids.

Loads the model folder polyret saved (config.json + model.safetensors, read here with struct/json since the
Python safetensors package may be missing) and runs Hugging Face's BertModel forward written out op for op
(transformers is not installed on this machine; on torch 1.13 transformers uses this eager attention path too),
with the same length-sorted batching and CLS pooling as `polyret encode`, under torch.inference_mode().

Usage: encode_peer.py --model DIR --ids IDS.json --batch-size N --threads N --out OUT.npy
Prints one JSON line: {"seconds": model time, "texts": N, "dim": D}.
With --serve (no --ids/--out): prints {"ready": true}, then answers each stdin line {"ids": path, "out": path}
with one such JSON line, so the benchmark can alternate peer and polyret rounds under the same machine load.
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(data[a:b], dtype=DT[info["dtype"]]) if b > a else torch.empty(0, dtype=DT[info["dtype"]])
        out[name] = t.reshape(info["shape"]).float() if DT[info["dtype"]] != torch.int64 else t.reshape(info["shape"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    if not a.serve and (a.ids is None or a.out is None):
        ap.error("--ids and --out are required without --serve")
    torch.set_num_threads(a.threads)
    cfg = json.load(open(a.model + "/config.json"))
    p = load_safetensors(a.model + "/model.safetensors")
    H, heads, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    eps, pad = cfg["layer_norm_eps"], cfg["pad_token_id"]
    roberta = cfg["model_type"] != "bert"
    d = H // heads
    fmin = torch.finfo(torch.float32).min
    act = F.gelu if cfg["hidden_act"] == "gelu" else (lambda x: F.gelu(x, approximate="tanh"))

    def forward(ids, mask):
        b, s = ids.shape
        if roberta:
            m = ids.ne(pad).int()
            pos = (torch.cumsum(m, dim=1).type_as(m) * m).long() + pad
        else:
            pos = torch.arange(s).unsqueeze(0).expand(b, s)
        x = F.embedding(ids, p["embeddings.word_embeddings.weight"]) + F.embedding(torch.zeros_like(ids), p["embeddings.token_type_embeddings.weight"])
        x = x + F.embedding(pos, p["embeddings.position_embeddings.weight"])
        h = F.layer_norm(x, (H,), p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
        ext = (1.0 - mask[:, None, None, :].to(torch.float32)) * fmin
        for l in range(L):
            pre = f"encoder.layer.{l}."

            def lin(name, v):
                return F.linear(v, p[pre + name + ".weight"], p[pre + name + ".bias"])

            def tr(v):
                return v.view(b, s, heads, d).permute(0, 2, 1, 3)

            q, k, v = tr(lin("attention.self.query", h)), tr(lin("attention.self.key", h)), tr(lin("attention.self.value", h))
            probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + ext, dim=-1)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, s, H)
            a_ = F.layer_norm(lin("attention.output.dense", ctx) + h, (H,), p[pre + "attention.output.LayerNorm.weight"], p[pre + "attention.output.LayerNorm.bias"], eps)
            h = F.layer_norm(lin("output.dense", act(lin("intermediate.dense", a_))) + a_, (H,), p[pre + "output.LayerNorm.weight"], p[pre + "output.LayerNorm.bias"], eps)
        return h[:, 0]

    def encode(ids_path, out_path):
        rows = json.load(open(ids_path))
        order = sorted(range(len(rows)), key=lambda i: (-len(rows[i]), i))
        out = np.zeros((len(rows), H), dtype=np.float32)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for start in range(0, len(order), a.batch_size):
                idx = order[start:start + a.batch_size]
                s = max(len(rows[i]) for i in idx)
                ids = torch.full((len(idx), s), pad, dtype=torch.int64)
                mask = torch.zeros((len(idx), s), dtype=torch.int64)
                for k, i in enumerate(idx):
                    ids[k, :len(rows[i])] = torch.tensor(rows[i])
                    mask[k, :len(rows[i])] = 1
                out[idx] = forward(ids, mask).numpy()
        sec = time.perf_counter() - t0
        np.save(out_path, out)
        print(json.dumps({"seconds": sec, "texts": len(rows), "dim": H}), flush=True)

    if a.serve:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                break
            req = json.loads(line)
            encode(req["ids"], req["out"])
    else:
        encode(a.ids, a.out)


if __name__ == "__main__":
    main()
