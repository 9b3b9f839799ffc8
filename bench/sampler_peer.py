#!/usr/bin/env python3
"""Peer for `npm run bench -- sampler`: the same id-level hybrid batch sampling algorithm as
polyret's IdBatchSampler, in Python (NumPy for loading and the shuffle), on the same mMARCO-layout
folder. Only the sampling loop is timed. Prints one JSON line: triplets, seconds, maxRssMiB.

usage: .venv/bin/python bench/sampler_peer.py ROOT BATCH_SIZE
"""
import json
import os
import random
import resource
import sys
import time

import numpy as np


def load(root):
    langs = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, 'queries.train.tsv')))
    tri = np.loadtxt(os.path.join(root, 'triples.train.ids.small.tsv'), dtype=np.int64, delimiter='\t', ndmin=2)
    order = np.argsort(tri[:, 0], kind='stable')
    tri = tri[order]
    qids, starts = np.unique(tri[:, 0], return_index=True)
    starts = np.append(starts, len(tri))
    has = []
    for lang in langs:
        q = np.loadtxt(os.path.join(root, lang, 'queries.train.tsv'), dtype=np.int64, delimiter='\t', usecols=0, comments=None)
        p = np.loadtxt(os.path.join(root, lang, 'collection.tsv'), dtype=np.int64, delimiter='\t', usecols=0, comments=None)
        pbits = np.zeros(p.max() + 1, dtype=bool)
        pbits[p] = True
        ok_triple = pbits[np.minimum(tri[:, 1], len(pbits) - 1)] & pbits[np.minimum(tri[:, 2], len(pbits) - 1)]
        # A query has the language when its text and all its triples' passages exist there.
        all_ok = np.minimum.reduceat(ok_triple.astype(np.int8), starts[:-1]).astype(bool)
        has.append(np.isin(qids, q) & all_ok)
    return langs, len(qids), has


def sample_epoch(n, has, batch_size, alpha, seed):
    L = len(has)
    rnd = random.Random(seed)
    perm = np.random.default_rng(seed).permutation(n).tolist()
    has_b = [bytearray(h.astype(np.uint8).tobytes()) for h in has]
    nl = np.sum(np.stack(has), axis=0)
    multi = bytearray((nl >= 2).astype(np.uint8).tobytes())
    langs_of = {}
    id_langs = [None] * n
    stack = np.stack(has).T
    for i in range(n):
        key = stack[i].tobytes()
        if key not in langs_of:
            langs_of[key] = [l for l in range(L) if stack[i][l]]
        id_langs[i] = langs_of[key]
    used = bytearray(n)
    remaining = [int(h.sum()) for h in has]
    remaining_cross = int((nl >= 2).sum())
    remaining_total = n
    cursor = [0] * L
    cross_cursor = 0
    triplets = 0
    t0 = time.perf_counter()
    while True:
        want_mono = rnd.random() < alpha

        def mono_ok(need):
            return any(r >= need for r in remaining)

        mode = None
        need = batch_size
        if want_mono and mono_ok(need):
            mode = 'mono'
        elif not want_mono and remaining_cross >= need:
            mode = 'cross'
        elif mono_ok(need):
            mode = 'mono'
        elif remaining_cross >= need:
            mode = 'cross'
        elif remaining_total > 0:
            need = 1
            mode = 'mono' if (want_mono or remaining_cross < 1) else 'cross'
        if mode is None:
            break
        if mode == 'mono':
            elig = [l for l in range(L) if remaining[l] >= need]
            lang = elig[int(rnd.random() * len(elig))]
            h = has_b[lang]
            pos = cursor[lang]
            taken = 0
            while taken < batch_size and pos < n:
                i = perm[pos]
                pos += 1
                if not used[i] and h[i]:
                    used[i] = 1
                    for l in id_langs[i]:
                        remaining[l] -= 1
                    if multi[i]:
                        remaining_cross -= 1
                    remaining_total -= 1
                    taken += 1
            cursor[lang] = pos
        else:
            pos = cross_cursor
            taken = 0
            while taken < batch_size and pos < n:
                i = perm[pos]
                pos += 1
                if not used[i] and multi[i]:
                    used[i] = 1
                    ls = id_langs[i]
                    for l in ls:
                        remaining[l] -= 1
                    remaining_cross -= 1
                    remaining_total -= 1
                    q = ls[int(rnd.random() * len(ls))]
                    p = ls[int(rnd.random() * (len(ls) - 1))]
                    if p >= q:
                        p = ls[ls.index(p) + 1] if p == q or ls.index(p) >= ls.index(q) else p
                    taken += 1
            cross_cursor = pos
        triplets += taken
        if taken == 0:
            break
    return triplets, time.perf_counter() - t0


def main():
    root, batch_size = sys.argv[1], int(sys.argv[2])
    langs, n, has = load(root)
    triplets, seconds = sample_epoch(n, has, batch_size, 0.5, 1)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'languages': langs, 'ids': n, 'triplets': triplets, 'seconds': seconds, 'maxRssMiB': maxrss}))


if __name__ == '__main__':
    main()
