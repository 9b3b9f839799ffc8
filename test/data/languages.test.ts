import { test } from 'node:test';
import assert from 'node:assert/strict';
import { languageFromEnglishName, languageFromFileName, languageName, parseLanguage } from '../../src/data/languages.js';

test('language tags are validated and canonicalised, unknown ones rejected', () => {
  assert.equal(parseLanguage('de'), 'de');
  assert.equal(parseLanguage('zh_hans'), 'zh-Hans');
  assert.equal(parseLanguage('pt-br'), 'pt-BR');
  // ISO 639-2/T, 639-2/B and 639-3 aliases are one language, written as ISO 639-1 where it has a code.
  for (const [alias, canonical] of [['deu', 'de'], ['ger', 'de'], ['DEU', 'de'], ['fra', 'fr'], ['fre', 'fr'], ['zho', 'zh'], ['chi', 'zh'], ['cmn', 'zh'], ['arb', 'ar'], ['nob', 'nb'], ['fil', 'fil'], ['haw', 'haw']]) {
    assert.equal(parseLanguage(alias), canonical, alias);
  }
  assert.equal(parseLanguage('zho-Hant'), 'zh-Hant');
  assert.equal(parseLanguage('cmn_hans'), 'zh-Hans');
  assert.equal(languageName('ger'), 'German');
  assert.equal(languageName('zh-Hans'), 'Chinese');
  assert.throws(() => parseLanguage('xx'), /unknown language "xx"/);
  assert.throws(() => parseLanguage('und'), /unknown language/);
  assert.throws(() => parseLanguage(''), /expected a language code/);
  assert.throws(() => parseLanguage(undefined, 'f.jsonl:3: field "lang"'), /f\.jsonl:3: field "lang"/);
  assert.throws(() => parseLanguage('english'), /not a language tag/);
});

test('languages from file names and English names', () => {
  assert.equal(languageFromFileName('/d/xquad.de.json'), 'de');
  assert.equal(languageFromFileName('zh.json'), 'zh');
  assert.equal(languageFromFileName('train.pt-BR.jsonl'), 'pt-BR');
  assert.throws(() => languageFromFileName('/d/train.json'), /cannot tell the language from the file name/);
  assert.equal(languageFromEnglishName('german'), 'de');
  assert.equal(languageFromEnglishName('Portuguese'), 'pt');
  assert.equal(languageFromEnglishName('klingonese'), undefined);
});
