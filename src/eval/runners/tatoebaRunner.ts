import { DenseScorer } from '../search/denseScorer.js';
import { normalizeRows } from '../search/innerProductsJs.js';
import { vectors } from '../vectorSource.js';
import { splitAverages, type SeenUnseen } from '../seenUnseen.js';
import { loadTatoeba, tatoebaAccuracy, tatoebaId, tatoebaLanguages, tatoebaResults, type TatoebaPairScores, type TatoebaResults } from '../tasks/tatoeba.js';
import { tatoebaLanguageSeen } from '../tasks/tatoebaLanguages.js';
import { Progress } from '../../util/progress.js';
import type { RunnerContext } from './context.js';

/**
 * Tatoeba end to end: vectors for both sides of each pair (both encoded as queries: the task is symmetric),
 * one score matrix per language on the tensor engine, argmax both ways.
 */
export async function runTatoeba(ctx: RunnerContext): Promise<{ files: string[]; tatoeba: TatoebaResults; seenUnseen?: SeenUnseen }> {
  const { opts, dim } = ctx;
  const langs = tatoebaLanguages(opts.languages);
  Object.assign(ctx.config, { languages: langs, metric: 'accuracy@1', directions: ['xx2en', 'en2xx'], ties: 'lowest line' });
  const pairs = loadTatoeba(langs, ctx.dir);
  const perLang = new Map<string, TatoebaPairScores>();
  const bar = new Progress({ total: pairs.length, label: 'tatoeba', unit: 'lang', enabled: opts.progress ?? undefined });
  for (const p of pairs) {
    let xx = await vectors(opts.source, p.xx.map((_, i) => tatoebaId(p.lang, 'xx', i)), () => p.xx, 'query', `${p.lang} sentence`);
    let en = await vectors(opts.source, p.en.map((_, i) => tatoebaId(p.lang, 'en', i)), () => p.en, 'query', `${p.lang}-eng English sentence`);
    if (ctx.similarity === 'cosine') {
      xx = normalizeRows(xx, dim);
      en = normalizeRows(en, dim);
    }
    const scorer = new DenseScorer(en, dim, ctx.device);
    try {
      perLang.set(p.lang, tatoebaAccuracy(scorer.scores(xx), p.xx.length));
    } finally {
      scorer.dispose();
    }
    bar.tick(1, p.lang);
  }
  bar.finish();
  const tatoeba = tatoebaResults(perLang);
  const files = pairs.flatMap((p) => p.files);
  if (!ctx.trainingLanguages) return { files, tatoeba };
  const tl = ctx.trainingLanguages;
  const items = tatoeba.order.map((l) => ({
    name: l,
    seen: tatoebaLanguageSeen(l, tl),
    metrics: { xx2en: tatoeba.languages[l]!.xx2en, en2xx: tatoeba.languages[l]!.en2xx },
  }));
  return {
    files,
    tatoeba,
    seenUnseen: {
      trainingLanguages: tl,
      rule: "a Tatoeba language is seen when its ISO 639-1 code (or LASER code) is a training language's primary subtag (cmn counts as zh, pes as fa, swh as sw)",
      groups: { languages: splitAverages(items) },
    },
  };
}
