#!/usr/bin/env python3
"""PyTorch peer of bench/ddp.ts: one data-parallel training rank of the BERT-like bi-encoder.

torch.distributed (Gloo, or NCCL with --device cuda) with DistributedDataParallel (bucketed gradient
all-reduce overlapped with the backward pass). Each rank embeds its share of the global batch's
queries and passages in one forward pass, all-gathers them with gradient
(torch.distributed.nn.functional.all_gather) and computes the whole global batch's InfoNCE, as
polyret's trainer does. Launched once per rank with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set
(world size 1 runs without a process group). Rank 0 prints one JSON line.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as distnn
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_bert import BertLayer, additive_mask  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--layers", type=int, default=4)
ap.add_argument("--hidden", type=int, default=256)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--vocab", type=int, default=30522)
ap.add_argument("--seq", type=int, default=64)
ap.add_argument("--batch", type=int, default=32, help="global batch (query/passage pairs)")
ap.add_argument("--steps", type=int, default=6)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--device", default="cpu")
args = ap.parse_args()
torch.set_num_threads(args.threads)
rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
dev = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if args.device == "cuda" else "cpu")
if world > 1:
    dist.init_process_group("nccl" if args.device == "cuda" else "gloo", rank=rank, world_size=world)
H = args.hidden


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(args.vocab, H, padding_idx=0)
        self.pos = nn.Embedding(512, H)
        self.tok = nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer(H, args.heads, 4 * H) for _ in range(args.layers)])

    def forward(self, ids, mask):
        s = ids.shape[1]
        pos = torch.arange(s, device=ids.device).unsqueeze(0)
        h = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.tok(torch.zeros_like(ids))))
        add = additive_mask(mask)
        for layer in self.layers:
            h = layer(h, add)
        return F.normalize(h[:, 0], dim=-1)


torch.manual_seed(1)
model = Encoder().to(dev).train()
net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
local = args.batch // world
g = torch.Generator().manual_seed(100 + rank)
ids = torch.randint(1, args.vocab, (2 * local, args.seq), generator=g).to(dev)
mask = torch.ones(2 * local, args.seq, dtype=torch.long, device=dev)
labels = torch.arange(args.batch, device=dev)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def step():
    sync()
    t0 = time.perf_counter()
    e = net(ids, mask)
    q, p = e[:local], e[local:]
    if world > 1:
        q, p = torch.cat(distnn.all_gather(q)), torch.cat(distnn.all_gather(p))
    loss = F.cross_entropy(q @ p.T / 0.05, labels)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    sync()
    return time.perf_counter() - t0


times = [step() for _ in range(args.warmup + args.steps)][args.warmup:]
if rank == 0:
    print(json.dumps({"times": times, "torch": torch.__version__, "threads": torch.get_num_threads(), "world": world,
                      "params": sum(p.numel() for p in model.parameters())}), flush=True)
if world > 1:
    dist.destroy_process_group()
