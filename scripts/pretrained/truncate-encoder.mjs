#!/usr/bin/env node
// Keeps the first K transformer layers of a BERT / XLM-R model folder (layer dropping, "top-layer removal" as in
// Sajjad et al. 2020, "On the effect of dropping layers of pre-trained transformer models"), so a pretrained
// multilingual encoder becomes small enough to fine-tune and evaluate many times on a CPU. Embeddings, the kept
// layers, the tokenizer and the sentence-transformers modules (pooling, Dense, Normalize) are copied unchanged;
// the pooler and layers >= K are dropped. The output is an ordinary model folder for polyret train/encode/eval.
//
//   node scripts/pretrained/truncate-encoder.mjs --model DIR --layers K --out DIR [--force]
//
// Written atomically: a temporary sibling folder renamed into place, so a failed run leaves nothing behind.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../dist/src/tensor/safetensors.js';

function usage(msg) {
  if (msg) process.stderr.write(`truncate-encoder: ${msg}\n`);
  process.stderr.write('usage: node scripts/pretrained/truncate-encoder.mjs --model DIR --layers K --out DIR [--force]\n');
  process.exit(2);
}
const args = process.argv.slice(2);
let model, layers, out, force = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--model') model = args[++i];
  else if (a === '--layers') layers = Number(args[++i]);
  else if (a === '--out') out = args[++i];
  else if (a === '--force') force = true;
  else if (a === '-h' || a === '--help') usage();
  else usage(`unknown argument '${a}'`);
}
if (!model || !out) usage('--model and --out are required');
if (!Number.isInteger(layers) || layers < 1) usage(`--layers must be a positive integer (got ${layers})`);
model = resolve(model); out = resolve(out);
const cfgPath = join(model, 'config.json');
if (!existsSync(cfgPath)) usage(`${cfgPath}: not found (expected a Hugging Face model folder)`);
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
if (!['bert', 'xlm-roberta'].includes(cfg.model_type)) usage(`${cfgPath}: model_type '${cfg.model_type}' (expected bert or xlm-roberta)`);
if (layers > cfg.num_hidden_layers) usage(`--layers ${layers} exceeds num_hidden_layers ${cfg.num_hidden_layers} in ${cfgPath}`);
if (existsSync(out) && !force) usage(`${out} exists; pass --force to replace it`);
const weights = join(model, 'model.safetensors');
if (!existsSync(weights)) usage(`${weights}: not found (a single model.safetensors is expected)`);

const { tensors, metadata } = readSafetensors(weights);
const layerOf = (name) => { const m = /(?:^|\.)encoder\.layer\.(\d+)\./.exec(name); return m ? Number(m[1]) : -1; };
const kept = tensors.filter((t) => { const l = layerOf(t.name); return l < 0 ? !/(?:^|\.)pooler\./.test(t.name) : l < layers; });

const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
try {
  for (const entry of readdirSync(model)) {
    if (entry === 'model.safetensors' || entry === 'config.json' || entry === 'README.md') continue;
    cpSync(join(model, entry), join(tmp, entry), { recursive: true });
  }
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: layers }, null, 2) + '\n');
  writeSafetensors(join(tmp, 'model.safetensors'), kept, metadata);
  const params = kept.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  writeFileSync(join(tmp, 'README.md'),
    `# ${basename(model)}, first ${layers} of ${cfg.num_hidden_layers} layers\n\n` +
    `Written by polyret scripts/pretrained/truncate-encoder.mjs from ${model}: embeddings and encoder layers 0-${layers - 1} ` +
    `unchanged, pooler and layers ${layers}-${cfg.num_hidden_layers - 1} dropped; ${params.toLocaleString('en-US')} parameters. ` +
    `The source folder's licence applies${existsSync(join(model, 'NOTICE')) ? ' (see NOTICE)' : ''}.\n`);
  if (existsSync(out)) rmSync(out, { recursive: true });
  renameSync(tmp, out);
  process.stdout.write(`wrote ${out}: ${layers} of ${cfg.num_hidden_layers} layers, ${kept.length} tensors, ${params.toLocaleString('en-US')} parameters, ${(statSync(join(out, 'model.safetensors')).size / 2 ** 20).toFixed(0)} MiB\n`);
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  throw e;
}
