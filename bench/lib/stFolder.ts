import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Adds the tokenizer_config.json that Hugging Face's AutoTokenizer needs to load mBERT's cased tokenizer from a
 * folder polyret saved. polyret's saveSentenceEncoder copies tokenizer.json and vocab.txt only (the data folder has
 * no tokenizer_config.json); transformers 5 then builds a BertTokenizer with its defaults, which lower-case and strip
 * accents, and the peer would get other token ids than polyret. The bench checks the ids of its first batch.
 */
export function writeTokenizerConfig(dir: string, maxLength = 128): void {
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: false, strip_accents: null, tokenize_chinese_chars: true, model_max_length: maxLength,
  }, null, 2)}\n`);
}
