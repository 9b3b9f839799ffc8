#!/usr/bin/env python3
"""Independent check of `polyret eval --task tatoeba` with numpy.

Reads an embeddings file as `polyret encode` writes it (safetensors: float32 tensor `embeddings` [N, D],
`__metadata__.ids` a JSON list of row ids `tatoeba/<laser>/xx/<line>` and `tatoeba/<laser>/en/<line>`) and
recomputes XTREME's Tatoeba accuracy in both directions: rows L2-normalised, cosine = inner product, nearest
neighbour by argmax (first maximum on a tie), correct when it is the sentence's own line. With a results JSON
from `polyret eval --task tatoeba`, compares every language's xx2en / en2xx (and the averages) and exits 1 on any
difference. Also prints, per language, the smallest gap between the best and second-best score, so a near-tie
that float rounding could flip is visible.

  polyret eval --task tatoeba --lang de,zh --export-texts texts.jsonl
  polyret encode --model DIR --input texts.jsonl --output emb.safetensors
  polyret eval --task tatoeba --lang de,zh --embeddings emb.safetensors --out results.json
  .venv/bin/python scripts/checks/tatoeba_check.py emb.safetensors results.json
"""
import json
import sys

import numpy as np


def load_embeddings(path):
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        ids = json.loads(f.metadata()["ids"])
        emb = f.get_tensor("embeddings").astype(np.float32)
    return emb, ids


def side_matrices(emb, ids):
    """{lang: (xx [n, D], en [n, D])} from the row ids, rows ordered by line."""
    rows = {}
    for r, i in enumerate(ids):
        parts = i.split("/")
        if len(parts) != 4 or parts[0] != "tatoeba" or parts[2] not in ("xx", "en"):
            continue
        rows.setdefault(parts[1], {"xx": {}, "en": {}})[parts[2]][int(parts[3])] = r
    out = {}
    for lang, sides in rows.items():
        n = len(sides["xx"])
        assert sorted(sides["xx"]) == list(range(n)) and sorted(sides["en"]) == list(range(n)), f"{lang}: lines missing"
        out[lang] = (emb[[sides["xx"][k] for k in range(n)]], emb[[sides["en"][k] for k in range(n)]])
    return out


def tatoeba_accuracy(xx, en):
    """(xx2en, en2xx, per-sentence correctness both ways, smallest top-1/top-2 gap) by cosine nearest neighbour."""
    def norm(m):
        n = np.linalg.norm(m, axis=1, keepdims=True)
        return np.where(n > 0, m / np.where(n > 0, n, 1), 0).astype(np.float32)

    s = norm(xx) @ norm(en).T
    gold = np.arange(s.shape[0])
    x2e = (np.argmax(s, axis=1) == gold).astype(np.float64)
    e2x = (np.argmax(s, axis=0) == gold).astype(np.float64)
    top2r = np.sort(s, axis=1)[:, -2:]
    top2c = np.sort(s, axis=0)[-2:, :]
    gap = float(min((top2r[:, 1] - top2r[:, 0]).min(), (top2c[1, :] - top2c[0, :]).min()))
    return float(x2e.mean()), float(e2x.mean()), x2e, e2x, gap


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    emb, ids = load_embeddings(argv[1])
    mats = side_matrices(emb, ids)
    results = None
    if len(argv) == 3:
        with open(argv[2]) as f:
            results = json.load(f)["tatoeba"]
    langs = results["order"] if results else sorted(mats)
    bad = 0
    acc = {}
    for lang in langs:
        xx, en = mats[lang]
        a, b, _, _, gap = tatoeba_accuracy(xx, en)
        acc[lang] = (a, b)
        line = f"{lang}: n={xx.shape[0]} xx2en={a:.6f} en2xx={b:.6f} min top-1 gap={gap:.2e}"
        if results:
            r = results["languages"][lang]
            ok = abs(r["xx2en"] - a) < 1e-12 and abs(r["en2xx"] - b) < 1e-12 and r["n"] == xx.shape[0]
            bad += 0 if ok else 1
            line += f"  polyret xx2en={r['xx2en']:.6f} en2xx={r['en2xx']:.6f} {'OK' if ok else 'DIFFERENT'}"
        print(line)
    avg = (float(np.mean([v[0] for v in acc.values()])), float(np.mean([v[1] for v in acc.values()])))
    print(f"average: xx2en={avg[0]:.6f} en2xx={avg[1]:.6f}")
    if results:
        ok = abs(results["average"]["xx2en"] - avg[0]) < 1e-12 and abs(results["average"]["en2xx"] - avg[1]) < 1e-12
        bad += 0 if ok else 1
        print(f"polyret average: xx2en={results['average']['xx2en']:.6f} en2xx={results['average']['en2xx']:.6f} {'OK' if ok else 'DIFFERENT'}")
        print("all equal" if bad == 0 else f"{bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
