#!/usr/bin/env python3
"""Peer for `npm run bench -- eval-xquad-r`: LAReQA's XQuAD-R protocol in Python, numpy + scikit-learn.

usage: eval_xquad_r_peer.py EMBEDDINGS.safetensors XQUAD_R_DIR
Reads the same embeddings (safetensors: 'embeddings' F32 [N, D], __metadata__.ids) and data files, builds the same
candidates (every sentence of every paragraph) and relevant sentences (overlapping the answer span), then for each
query language X computes Q_X @ C_all^T with numpy and average_precision_score per query for X->Y (every Y) and
X->all. Prints one JSON line: seconds (from reading the embeddings on), settings, macro mAP per kind.
"""
import json
import struct
import sys
import time
import warnings

import numpy as np
from sklearn.metrics import average_precision_score

LANGS = ['ar', 'de', 'el', 'en', 'es', 'hi', 'ru', 'th', 'tr', 'vi', 'zh']


def load_lang(path, lang):
    data = json.load(open(path, encoding='utf-8'))
    cands, questions = [], []
    for a, art in enumerate(data['data']):
        for p, para in enumerate(art['paragraphs']):
            first = len(cands)
            breaks = para['sentence_breaks']
            cands.extend(f'c/{lang}/{a}/{p}/{s}' for s in range(len(para['sentences'])))
            for qa in para['qas']:
                ans = qa['answers'][0]
                start = ans['answer_start']
                end = start + max(1, len(ans['text']))
                hits = [first + i for i, (b, e) in enumerate(breaks) if b < end and start < e]
                questions.append((qa['id'], hits))
    return cands, questions


def main():
    emb_path, data_dir = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    with open(emb_path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        info = header['embeddings']
        b, e = info['data_offsets']
        f.seek(8 + n + b)
        emb = np.frombuffer(f.read(e - b), dtype='<f4').reshape(info['shape'])
    row = {id_: i for i, id_ in enumerate(json.loads(header['__metadata__']['ids']))}
    data = {l: load_lang(f'{data_dir}/{l}.json', l) for l in LANGS}
    offsets, total = {}, 0
    for l in LANGS:
        offsets[l] = total
        total += len(data[l][0])
    cand_ids = [c for l in LANGS for c in data[l][0]]
    C = emb[[row[c] for c in cand_ids]]
    answers = {l: dict(data[l][1]) for l in LANGS}
    aps = {'mono': [], 'cross': [], 'multi': []}
    warnings.simplefilter('ignore')
    for x in LANGS:
        qids = [q for q, _ in data[x][1]]
        Q = emb[[row[f'q/{x}/{q}'] for q in qids]]
        S = Q @ C.T
        per = {y: [] for y in LANGS}
        multi = []
        for i, q in enumerate(qids):
            labels_all = np.zeros(total, dtype=np.int8)
            for y in LANGS:
                if q not in answers[y]:
                    continue
                lo, hi = offsets[y], offsets[y] + len(data[y][0])
                labels = np.zeros(hi - lo, dtype=np.int8)
                labels[answers[y][q]] = 1
                labels_all[lo:hi] = labels
                per[y].append(average_precision_score(labels, S[i, lo:hi]))
            multi.append(average_precision_score(labels_all, S[i]))
        for y in LANGS:
            aps['mono' if x == y else 'cross'].append(float(np.mean(per[y])))
        aps['multi'].append(float(np.mean(multi)))
    seconds = time.perf_counter() - t0
    print(json.dumps({'seconds': seconds, 'settings': sum(len(v) for v in aps.values()),
                      **{k: float(np.mean(v)) for k, v in aps.items()}}))


if __name__ == '__main__':
    main()
