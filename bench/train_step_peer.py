#!/usr/bin/env python3
"""PyTorch peer of bench/train-step.ts: the same BERT-like bi-encoder training step, op for op.

Embeddings (word + position + token type) → LayerNorm → L post-LN layers (Hugging Face BertLayer
layout) → CLS → L2-normalise → InfoNCE over in-batch negatives (temperature 0.05) → backward →
AdamW (lr 3e-5, wd 0.01). Prints one JSON line: {"times": [...seconds per step...], ...}.
--precision bf16: the encoder's forward under torch.autocast('cpu', dtype=torch.bfloat16), its output cast back to
float32 for the loss, as polyret's autocast row (gradients and AdamW in float32).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_bert import BertLayer, additive_mask  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--layers", type=int, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--heads", type=int, required=True)
ap.add_argument("--vocab", type=int, default=119547)
ap.add_argument("--seq", type=int, default=64)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
ap.add_argument("--serve", action="store_true", help="read 'step' lines on stdin, answer each with its seconds (interleaved timing)")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
H, NH = args.hidden, args.heads


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(args.vocab, H, padding_idx=0)
        self.pos = nn.Embedding(512, H)
        self.tok = nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer(H, NH, 4 * H) for _ in range(args.layers)])

    def forward(self, ids, mask):
        s = ids.shape[1]
        pos = torch.arange(s).unsqueeze(0)
        h = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.tok(torch.zeros_like(ids))))
        add = additive_mask(mask)
        for layer in self.layers:
            h = layer(h, add)
        return F.normalize(h[:, 0], dim=-1)


model = Encoder().train()
opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
g = torch.Generator().manual_seed(args.seed)
q_ids = torch.randint(1, args.vocab, (args.batch, args.seq), generator=g)
p_ids = torch.randint(1, args.vocab, (args.batch, args.seq), generator=g)
mask = torch.ones(args.batch, args.seq, dtype=torch.long)
labels = torch.arange(args.batch)

def embed(ids):
    if args.precision == "bf16":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(ids, mask).float()
    return model(ids, mask)


def train_step():
    t0 = time.perf_counter()
    loss = F.cross_entropy(embed(q_ids) @ embed(p_ids).T / 0.05, labels)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return time.perf_counter() - t0, loss.item()


if args.serve:
    # The benchmark alternates one peer step with one polyret step, so load on a shared machine
    # affects both sides alike.
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        dt, loss_value = train_step()
        print(json.dumps({"seconds": dt, "loss": loss_value}), flush=True)
    sys.exit(0)

times = []
for step in range(args.warmup + args.steps):
    dt, loss_value = train_step()
    if step >= args.warmup:
        times.append(dt)

a = torch.randn(2048, 2048)
b = torch.randn(2048, 2048)
torch.mm(a, b)
t0 = time.perf_counter()
for _ in range(5):
    torch.mm(a, b)
sgemm = 5 * 2 * 2048 ** 3 / (time.perf_counter() - t0)
print(json.dumps({"times": times, "loss": loss_value, "threads": torch.get_num_threads(), "torch": torch.__version__, "sgemmFlops": sgemm,
                  "params": sum(p.numel() for p in model.parameters())}))
