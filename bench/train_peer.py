#!/usr/bin/env python3
"""PyTorch peer of bench/train.ts: the same training recipe on the same batches.

Model: a from-scratch BERT (Hugging Face BertModel layout, written out here: word + position +
token-type embeddings, LayerNorm, dropout, L post-LN layers) with mean pooling, shared between
queries and passages. Step: InfoNCE over (query, positive, hard negative) triplets with in-batch
negatives (cosine / temperature 0.05), backward, global-norm clipping at 1.0, AdamW (decay groups:
no decay for biases and LayerNorm) with a linear warmup/decay schedule.

The batches come pre-tokenised from bench/train.ts (JSON: token id rows of each batch's queries,
then positives, then negatives), since this Python has no Hugging Face tokenizer; polyret's timing
includes its tokenisation, this one does not.

--serve: prints a ready line, then answers each 'step' line on stdin with one JSON line
{"seconds": ..., "loss": ...} (the benchmark alternates one polyret step and one peer step).
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
ap.add_argument("--batches", required=True, help="JSON file written by bench/train.ts")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--serve", action="store_true")
args = ap.parse_args()
torch.set_num_threads(args.threads)
spec = json.load(open(args.batches))
cfg = spec["model"]
H, NH, L, V, I = cfg["hidden"], cfg["heads"], cfg["layers"], cfg["vocab"], cfg["intermediate"]
PAD = cfg["pad"]
torch.manual_seed(spec["seed"])


def bert_init(m):
    if isinstance(m, nn.Linear):
        m.weight.data.normal_(0, 0.02)
        m.bias.data.zero_()
    elif isinstance(m, nn.Embedding):
        m.weight.data.normal_(0, 0.02)
        if m.padding_idx is not None:
            m.weight.data[m.padding_idx].zero_()
    elif isinstance(m, nn.LayerNorm):
        m.weight.data.fill_(1.0)
        m.bias.data.zero_()


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, H, padding_idx=PAD)
        self.position_embeddings = nn.Embedding(cfg["maxPositions"], H)
        self.token_type_embeddings = nn.Embedding(2, H)
        self.LayerNorm = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer(H, NH, I) for _ in range(L)])
        self.apply(bert_init)

    def forward(self, rows):
        s = max(len(r) for r in rows)
        ids = torch.full((len(rows), s), PAD, dtype=torch.long)
        mask = torch.zeros(len(rows), s, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        pos = torch.arange(s).unsqueeze(0)
        h = self.drop(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(torch.zeros_like(ids))))
        add = additive_mask(mask)
        for layer in self.layers:
            h = layer(h, add)
        m = mask.unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)


model = Encoder().train()
no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
tr = spec["training"]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": tr["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}], lr=tr["lr"])
total, warm = tr["totalSteps"], tr["warmupSteps"]
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
batches = spec["batches"]


def info_nce(q, p):
    logits = F.normalize(q, dim=-1) @ F.normalize(p, dim=-1).T / tr["temperature"]
    return F.cross_entropy(logits, torch.arange(q.shape[0]))


def grad_cache_backward(b, k, size):
    # GradCache as in Tevatron / sentence-transformers' CachedMultipleNegativesRankingLoss:
    # embed mini-batches without graphs, loss and embedding gradients on the full batch, then
    # re-embed each mini-batch with a graph (same dropout seed) and backpropagate its gradient slice.
    chunks = [("q", b["queries"][i:i + size]) for i in range(0, len(b["queries"]), size)]
    chunks += [("p", b["passages"][i:i + size]) for i in range(0, len(b["passages"]), size)]
    seeds = [spec["seed"] * 1000003 + k * 1009 + c for c in range(len(chunks))]
    with torch.no_grad():
        embs = []
        for c, (_, rows) in enumerate(chunks):
            torch.manual_seed(seeds[c])
            embs.append(model(rows))
    q = torch.cat([e for e, (kind, _) in zip(embs, chunks) if kind == "q"]).requires_grad_(True)
    p = torch.cat([e for e, (kind, _) in zip(embs, chunks) if kind == "p"]).requires_grad_(True)
    loss = info_nce(q, p)
    loss.backward()
    gq, gp = q.grad.split(size), p.grad.split(size)
    grads = list(gq) + list(gp)
    for c, (_, rows) in enumerate(chunks):
        torch.manual_seed(seeds[c])
        model(rows).backward(grads[c])
    return loss


def train_step(k):
    b = batches[k % len(batches)]
    t0 = time.perf_counter()
    if tr.get("miniBatch"):
        loss = grad_cache_backward(b, k, tr["miniBatch"])
    else:
        loss = info_nce(model(b["queries"]), model(b["passages"]))
        loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tr["maxGradNorm"])
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)
    return time.perf_counter() - t0, loss.item()


if args.serve:
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "params": sum(p.numel() for p in model.parameters())}), flush=True)
    k = 0
    for line in sys.stdin:
        if line.strip() != "step":
            break
        dt, loss_value = train_step(k)
        k += 1
        print(json.dumps({"seconds": dt, "loss": loss_value}), flush=True)
    sys.exit(0)

times = [train_step(k)[0] for k in range(len(batches))]
print(json.dumps({"times": times}))
