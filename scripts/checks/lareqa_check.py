#!/usr/bin/env python3
"""Independent check of `polyret eval --task xquad-r|mlqa-r` against XTREME's LAReQA definitions, with scikit-learn.

Re-implements, from google-research/xtreme third_party/utils_lareqa.py, what defines the numbers:
  * questions and candidates (`generate_examples`, `load_data`): every sentence of every paragraph is a candidate
    (text = context[start:end] of its sentence break, code points); a question's answer sentence is the first
    sentence whose break holds `answer_start` (start <= answer_start < end), and every candidate of that paragraph
    with exactly that text is relevant (marked through `by_xling_id`); a question whose answer_start is in no
    sentence is skipped;
  * pools: X→Y = the questions of X against the candidates of Y (`filter_by_langs`); X→all = against every
    language's candidates;
  * AP: sklearn.metrics.average_precision_score(y_true, q·C) per question over the whole pool (`mean_avg_prec`);
    a question with no relevant candidate in the pool (MLQA-R questions missing in Y) does not take part;
  * averages: Mo. = mean of X→X, Cr. = mean of X→Y (X≠Y), Mul. = mean of X→all, each a mean of per-setting mAPs.

Scores are inner products of the vectors as stored (the results' `config.similarity` = cosine normalises them
first). With a results JSON from `polyret eval`, compares every setting's mAP and the three averages and exits 1
when any differs by more than --tol (default 1e-5).

  polyret eval --task xquad-r --lang en,de,zh --export-texts texts.jsonl
  polyret encode --model DIR --input texts.jsonl --output emb.safetensors
  polyret eval --task xquad-r --lang en,de,zh --embeddings emb.safetensors --out results.json
  .venv/bin/python scripts/checks/lareqa_check.py xquad-r emb.safetensors results.json [--data DIR] [--tol 1e-5]
"""
import argparse
import json
import os

import numpy as np
from sklearn.metrics import average_precision_score


def load_language(path, lang):
    """XTREME's generate_examples + load_data for one language: (questions, candidates) with polyret's ids."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    questions = []  # (polyret id, xling_id)
    candidates = []  # (polyret id, text)
    relevant = {}  # xling_id -> [candidate indices in this language]
    skipped = 0
    for a, passage in enumerate(data["data"]):
        for p, paragraph in enumerate(passage["paragraphs"]):
            context = paragraph["context"]
            breaks = paragraph["sentence_breaks"]
            sentences = [context[s:e] for s, e in breaks]
            first = len(candidates)
            for s, text in enumerate(sentences):
                candidates.append((f"c/{lang}/{a}/{p}/{s}", text))
            for qa in paragraph["qas"]:
                start = qa["answers"][0]["answer_start"]
                answer = None
                for s, e in breaks:
                    if s <= start < e:
                        answer = context[s:e]
                        break
                if answer is None:
                    skipped += 1
                    continue
                questions.append((f"q/{lang}/{qa['id']}", qa["id"]))
                relevant[qa["id"]] = [first + i for i, t in enumerate(sentences) if t == answer]
    return {"lang": lang, "questions": questions, "candidates": candidates, "relevant": relevant, "skipped": skipped}


def lareqa_maps(langs, vec):
    """Every setting's mAP and the Mo./Cr./Mul. averages; `vec(id)` gives a vector."""
    C = {L["lang"]: np.stack([vec(i) for i, _ in L["candidates"]]) for L in langs}
    offsets, total = {}, 0
    for L in langs:
        offsets[L["lang"]] = total
        total += len(L["candidates"])
    allC = np.concatenate([C[L["lang"]] for L in langs])
    settings = {}
    for X in langs:
        Q = np.stack([vec(i) for i, _ in X["questions"]])
        S_all = Q @ allC.T
        for Y in langs:
            off, n = offsets[Y["lang"]], len(Y["candidates"])
            aps = []
            for qi, (_, xid) in enumerate(X["questions"]):
                rel = Y["relevant"].get(xid)
                if not rel:
                    continue
                y = np.zeros(n)
                y[rel] = 1
                aps.append(average_precision_score(y, S_all[qi, off:off + n]))
            settings[f"{X['lang']}→{Y['lang']}"] = (float(np.mean(aps)), len(aps))
        aps = []
        for qi, (_, xid) in enumerate(X["questions"]):
            y = np.zeros(total)
            for Y in langs:
                for r in Y["relevant"].get(xid, []):
                    y[offsets[Y["lang"]] + r] = 1
            aps.append(average_precision_score(y, S_all[qi]))
        settings[f"{X['lang']}→all"] = (float(np.mean(aps)), len(aps))
    names = [L["lang"] for L in langs]
    mo = np.mean([settings[f"{x}→{x}"][0] for x in names])
    cr = np.mean([settings[f"{x}→{y}"][0] for x in names for y in names if x != y]) if len(names) > 1 else float("nan")
    mul = np.mean([settings[f"{x}→all"][0] for x in names])
    return settings, {"mono": float(mo), "cross": float(cr), "multi": float(mul)}


def load_embeddings(path):
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        ids = json.loads(f.metadata()["ids"])
        emb = f.get_tensor("embeddings").astype(np.float32)
    return emb, {i: r for r, i in enumerate(ids)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["xquad-r", "mlqa-r"])
    ap.add_argument("embeddings")
    ap.add_argument("results", nargs="?")
    ap.add_argument("--lang", help="comma-separated languages (default: the results' languages)")
    ap.add_argument("--data", default=os.environ.get("POLYRET_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    results = None
    if args.results:
        with open(args.results) as f:
            results = json.load(f)
    langs = args.lang.split(",") if args.lang else results["lareqa"]["languages"]
    emb, index = load_embeddings(args.embeddings)
    if results and results["config"].get("similarity") == "cosine":
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        emb = np.where(norms > 0, emb / np.where(norms > 0, norms, 1), 0).astype(np.float32)
    data = [load_language(os.path.join(args.data, args.task, f"{l}.json"), l) for l in langs]
    settings, summary = lareqa_maps(data, lambda i: emb[index[i]])
    worst = 0.0
    for name, (m, n) in settings.items():
        line = f"{name}: mAP {m:.6f} ({n} questions)"
        if results:
            q, pool = name.split("→")
            r = next(s for s in results["lareqa"]["settings"] if s["query"] == q and s["pool"] == pool)
            d = abs(r["metrics"]["mAP"] - m)
            worst = max(worst, d)
            line += f"  polyret {r['metrics']['mAP']:.6f} ({r['numQueries']})  |Δ| {d:.1e}" + ("" if r["numQueries"] == n else "  QUESTION COUNTS DIFFER")
            if r["numQueries"] != n:
                worst = float("inf")
        print(line)
    for kind, v in summary.items():
        line = f"{kind}: mAP {v:.6f}"
        if results:
            p = results["lareqa"]["summary"][kind]["metrics"]["mAP"]
            worst = max(worst, abs(p - v))
            line += f"  polyret {p:.6f}"
        print(line)
    if results:
        print(f"largest |Δ| {worst:.2e} (tolerance {args.tol:g}): {'OK' if worst <= args.tol else 'DIFFERENT'}")
        return 0 if worst <= args.tol else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
