import { openDataset } from '../data/openDataset.js';
import { parseLanguage } from '../data/languages.js';
import type { ParallelDataset } from '../data/parallelDataset.js';
import { resolveConfigPath, type DataSourceConfig, type TrainConfig } from './config.js';
import { DatasetView, isHeldOut } from './datasetView.js';

export interface TrainingData {
  train: ParallelDataset;
  validation: ParallelDataset;
  /** How the validation set was formed, for logs. */
  validationSource: string;
  close(): void;
}

function openSource(src: DataSourceConfig, baseDir: string, field: string): { ds: ParallelDataset; langs: string[] } {
  const paths = src.paths.map((p) => resolveConfigPath(p, baseDir));
  let ds: ParallelDataset;
  try {
    ds = openDataset(paths, { format: src.format, negatives: src.negatives });
  } catch (err) {
    throw new Error(`${field}: ${(err as Error).message}`);
  }
  let langs: string[];
  try {
    // The readers give canonical codes; so must the config (deu → de), or the two would never match.
    langs = src.languages ? src.languages.map((l, i) => parseLanguage(l, `${field}.languages[${i}]`)) : [...ds.languages];
  } catch (err) {
    ds.close();
    throw err;
  }
  const missing = langs.filter((l) => !ds.languages.includes(l));
  if (missing.length) {
    ds.close();
    throw new Error(
      `${field}.languages asks for ${missing.join(', ')}, which the data (${paths.join(', ')}) does not have; it has ${ds.languages.join(', ')}`,
    );
  }
  return { ds, langs };
}

/**
 * Opens the training data and the validation data the config names: a separate source, or a
 * held-out fraction of the training ids (by a hash of the id). Checks every asked-for language
 * is present, and that both sets are non-empty, before a model is built.
 */
export function openTrainingData(config: TrainConfig, baseDir: string): TrainingData {
  const { ds, langs } = openSource(config.data.train, baseDir, 'data.train');
  const opened = [ds];
  try {
    const v = config.data.validation;
    let train: ParallelDataset;
    let validation: ParallelDataset;
    let validationSource: string;
    if ('heldOut' in v) {
      const f = v.heldOut;
      train = new DatasetView(ds, (i) => !isHeldOut(ds.id(i), f), langs, 'training ids');
      validation = new DatasetView(ds, (i) => isHeldOut(ds.id(i), f), langs, `held-out ${(f * 100).toFixed(1)}% of ids`);
      validationSource = `${validation.size} held-out ids (${(f * 100).toFixed(1)}%) of ${ds.name}`;
    } else {
      const val = openSource(v, baseDir, 'data.validation');
      opened.push(val.ds);
      train = langs.length === ds.languages.length ? ds : new DatasetView(ds, () => true, langs, langs.join(','));
      validation = val.langs.length === val.ds.languages.length ? val.ds : new DatasetView(val.ds, () => true, val.langs, val.langs.join(','));
      validationSource = `${validation.size} ids of ${val.ds.name}`;
    }
    if (train.size === 0) throw new Error(`data.train: no training examples left in ${ds.name}`);
    if (validation.size === 0) throw new Error(`data.validation: the validation set is empty (${validationSource})`);
    return { train, validation, validationSource, close: () => opened.forEach((d) => d.close()) };
  } catch (err) {
    opened.forEach((d) => d.close());
    throw err;
  }
}
