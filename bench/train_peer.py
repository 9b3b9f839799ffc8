#!/usr/bin/env python3
"""sentence-transformers peer of bench/train.ts: the same training run as a user of sentence-transformers would write it.

The model is the sentence-transformers folder bench/train.ts exported from polyret's initial model (Transformer +
Pooling), loaded with SentenceTransformer, so both sides start from the same weights. Each step takes the exact
batch polyret's hybrid sampler produced (queries, positives, hard negatives, prefixes applied), tokenises it with the
folder's Hugging Face tokenizer (model.preprocess, query and passage max lengths as polyret's), and runs
MultipleNegativesRankingLoss (scale = 1/temperature, cosine similarity; CachedMultipleNegativesRankingLoss with
mini_batch_size when polyret uses GradCache), backward, torch.nn.utils.clip_grad_norm_, torch.optim.AdamW with decay
groups (no decay for biases and LayerNorm, as polyret's decayGroups) and transformers' get_linear_schedule_with_warmup.
bf16: the encoder's forward under torch.autocast('cpu', dtype=torch.bfloat16) and its embeddings back in float32 for
MultipleNegativesRankingLoss.compute_loss_from_embeddings, as polyret's training.precision=bf16 (with GradCache, the
whole CachedMultipleNegativesRankingLoss call under autocast, as the Hugging Face Trainer does with bf16=True);
gradients, clipping and AdamW stay float32.

Protocol (--serve is the only mode): prints one ready line, then answers each stdin line with one JSON line:
  {"op": "reset", "precision": "fp32" | "bf16"}  -> reloads the initial model, optimizer and schedule
  {"op": "step", "k": K}                          -> trains on batch K: {"seconds": ..., "loss": ...}
The seconds include the peer's tokenisation (polyret's include its own, on a worker thread, as its trainer does).
"""
import argparse
import contextlib
import json
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--spec", required=True, help="JSON file written by bench/train.ts")
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--serve", action="store_true")
args = ap.parse_args()

import torch  # noqa: E402

torch.set_num_threads(args.threads)
import sentence_transformers  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss, MultipleNegativesRankingLoss  # noqa: E402
from sentence_transformers.base.losses.merged_forward import embed_columns  # noqa: E402
from transformers import get_linear_schedule_with_warmup  # noqa: E402

spec = json.load(open(args.spec))
tr = spec["training"]
batches = spec["batches"]


def no_decay(name):
    return name.endswith(".bias") or "LayerNorm." in name or "layer_norm" in name.lower()


class Run:
    def __init__(self, precision):
        torch.manual_seed(spec["seed"])
        self.precision = precision
        self.model = SentenceTransformer(spec["model"], device="cpu")
        self.model.train()
        scale = 1.0 / tr["temperature"]
        if tr.get("miniBatch"):
            self.loss = CachedMultipleNegativesRankingLoss(self.model, scale=scale, mini_batch_size=tr["miniBatch"])
        else:
            self.loss = MultipleNegativesRankingLoss(self.model, scale=scale)
        named = list(self.model.named_parameters())
        self.opt = torch.optim.AdamW(
            [
                {"params": [p for n, p in named if not no_decay(n)], "weight_decay": tr["weightDecay"]},
                {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0},
            ],
            lr=tr["lr"],
        )
        self.sched = get_linear_schedule_with_warmup(self.opt, tr["warmupSteps"], tr["totalSteps"])
        self.params = [p for _, p in named]

    def features(self, texts, max_length):
        self.model.max_seq_length = max_length
        return self.model.preprocess(texts)

    def step(self, k):
        b = batches[k]
        t0 = time.perf_counter()
        feats = [
            self.features(b["queries"], spec["maxQueryLength"]),
            self.features(b["positives"], spec["maxPassageLength"]),
            self.features(b["negatives"], spec["maxPassageLength"]),
        ]
        if self.precision == "bf16" and isinstance(self.loss, MultipleNegativesRankingLoss):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                embs = embed_columns(self.model, feats)  # what MultipleNegativesRankingLoss.forward runs
            loss = self.loss.compute_loss_from_embeddings([e.float() for e in embs], None)
        else:
            cast = torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else contextlib.nullcontext()
            with cast:
                loss = self.loss(feats, None)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, tr["maxGradNorm"])
        self.opt.step()
        self.sched.step()
        self.opt.zero_grad(set_to_none=True)
        return time.perf_counter() - t0, float(loss.item())


def ids_mismatch(run):
    """Rows of batch 0 whose token ids differ from polyret's (the same tokenizer must give the same ids)."""
    check = spec["check"]
    bad = 0
    for texts, rows, max_length in (
        (batches[0]["queries"], check["queries"], spec["maxQueryLength"]),
        (batches[0]["positives"] + batches[0]["negatives"], check["passages"], spec["maxPassageLength"]),
    ):
        f = run.features(texts, max_length)
        for i, row in enumerate(rows):
            n = int(f["attention_mask"][i].sum())
            bad += f["input_ids"][i, :n].tolist() != row
    return bad


if not args.serve:
    sys.exit("train_peer.py only runs under bench/train.ts (--serve)")
run = Run("fp32")
print(json.dumps({
    "ready": True, "torch": torch.__version__, "transformers": transformers.__version__,
    "sentenceTransformers": sentence_transformers.__version__, "threads": torch.get_num_threads(),
    "params": sum(p.numel() for p in run.params), "loss": type(run.loss).__name__, "idsMismatch": ids_mismatch(run),
}), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    req = json.loads(line)
    if req["op"] == "reset":
        run = Run(req["precision"])
        print(json.dumps({"ok": True}), flush=True)
    elif req["op"] == "step":
        dt, value = run.step(req["k"])
        print(json.dumps({"seconds": dt, "loss": value}), flush=True)
    else:
        print(json.dumps({"error": f"unknown op {req['op']!r}"}), flush=True)
