/**
 * The 112 languages of LASER's Tatoeba test set (facebookresearch/LASER, data/tatoeba/v1: files
 * `tatoeba.<code>-eng.<code>` and `tatoeba.<code>-eng.eng`), named by the 3-letter codes LASER uses (ISO 639-2/3),
 * with their ISO 639-1 code where one exists. Several LASER codes are ISO 639-3 individual languages of an
 * ISO 639-1 macrolanguage (cmn → zh, pes → fa, swh → sw, zsm → ms, lvs → lv); they take the macrolanguage's
 * two-letter code, as XTREME does (its `lang3_dict` maps cmn → zh, pes → fa, swh → sw). Languages that are not
 * part of any ISO 639-1 language (yue, wuu, arq, arz, gsw, ...) have none: `--lang` takes them by LASER code.
 */
export interface TatoebaLanguage {
  /** LASER's code, as in the file names. */
  laser: string;
  /** ISO 639-1 code, or undefined when the language has none. */
  iso1?: string;
  name: string;
}

const L = (laser: string, iso1: string | null, name: string): TatoebaLanguage => (iso1 ? { laser, iso1, name } : { laser, name });

export const TATOEBA_LANGUAGES: readonly TatoebaLanguage[] = [
  L('afr', 'af', 'Afrikaans'),
  L('amh', 'am', 'Amharic'),
  L('ang', null, 'Old English'),
  L('ara', 'ar', 'Arabic'),
  L('arq', null, 'Algerian Arabic'),
  L('arz', null, 'Egyptian Arabic'),
  L('ast', null, 'Asturian'),
  L('awa', null, 'Awadhi'),
  L('aze', 'az', 'Azerbaijani'),
  L('bel', 'be', 'Belarusian'),
  L('ben', 'bn', 'Bengali'),
  L('ber', null, 'Berber'),
  L('bos', 'bs', 'Bosnian'),
  L('bre', 'br', 'Breton'),
  L('bul', 'bg', 'Bulgarian'),
  L('cat', 'ca', 'Catalan'),
  L('cbk', null, 'Chavacano'),
  L('ceb', null, 'Cebuano'),
  L('ces', 'cs', 'Czech'),
  L('cha', 'ch', 'Chamorro'),
  L('cmn', 'zh', 'Mandarin Chinese'),
  L('cor', 'kw', 'Cornish'),
  L('csb', null, 'Kashubian'),
  L('cym', 'cy', 'Welsh'),
  L('dan', 'da', 'Danish'),
  L('deu', 'de', 'German'),
  L('dsb', null, 'Lower Sorbian'),
  L('dtp', null, 'Central Dusun'),
  L('ell', 'el', 'Greek'),
  L('epo', 'eo', 'Esperanto'),
  L('est', 'et', 'Estonian'),
  L('eus', 'eu', 'Basque'),
  L('fao', 'fo', 'Faroese'),
  L('fin', 'fi', 'Finnish'),
  L('fra', 'fr', 'French'),
  L('fry', 'fy', 'Western Frisian'),
  L('gla', 'gd', 'Scottish Gaelic'),
  L('gle', 'ga', 'Irish'),
  L('glg', 'gl', 'Galician'),
  L('gsw', null, 'Swiss German'),
  L('heb', 'he', 'Hebrew'),
  L('hin', 'hi', 'Hindi'),
  L('hrv', 'hr', 'Croatian'),
  L('hsb', null, 'Upper Sorbian'),
  L('hun', 'hu', 'Hungarian'),
  L('hye', 'hy', 'Armenian'),
  L('ido', 'io', 'Ido'),
  L('ile', 'ie', 'Interlingue'),
  L('ina', 'ia', 'Interlingua'),
  L('ind', 'id', 'Indonesian'),
  L('isl', 'is', 'Icelandic'),
  L('ita', 'it', 'Italian'),
  L('jav', 'jv', 'Javanese'),
  L('jpn', 'ja', 'Japanese'),
  L('kab', null, 'Kabyle'),
  L('kat', 'ka', 'Georgian'),
  L('kaz', 'kk', 'Kazakh'),
  L('khm', 'km', 'Khmer'),
  L('kor', 'ko', 'Korean'),
  L('kur', 'ku', 'Kurdish'),
  L('kzj', null, 'Coastal Kadazan'),
  L('lat', 'la', 'Latin'),
  L('lfn', null, 'Lingua Franca Nova'),
  L('lit', 'lt', 'Lithuanian'),
  L('lvs', 'lv', 'Latvian'),
  L('mal', 'ml', 'Malayalam'),
  L('mar', 'mr', 'Marathi'),
  L('max', null, 'North Moluccan Malay'),
  L('mhr', null, 'Eastern Mari'),
  L('mkd', 'mk', 'Macedonian'),
  L('mon', 'mn', 'Mongolian'),
  L('nds', null, 'Low German'),
  L('nld', 'nl', 'Dutch'),
  L('nno', 'nn', 'Norwegian Nynorsk'),
  L('nob', 'nb', 'Norwegian Bokmål'),
  L('nov', null, 'Novial'),
  L('oci', 'oc', 'Occitan'),
  L('orv', null, 'Old East Slavic'),
  L('pam', null, 'Kapampangan'),
  L('pes', 'fa', 'Persian'),
  L('pms', null, 'Piedmontese'),
  L('pol', 'pl', 'Polish'),
  L('por', 'pt', 'Portuguese'),
  L('ron', 'ro', 'Romanian'),
  L('rus', 'ru', 'Russian'),
  L('slk', 'sk', 'Slovak'),
  L('slv', 'sl', 'Slovenian'),
  L('spa', 'es', 'Spanish'),
  L('sqi', 'sq', 'Albanian'),
  L('srp', 'sr', 'Serbian'),
  L('swe', 'sv', 'Swedish'),
  L('swg', null, 'Swabian'),
  L('swh', 'sw', 'Swahili'),
  L('tam', 'ta', 'Tamil'),
  L('tat', 'tt', 'Tatar'),
  L('tel', 'te', 'Telugu'),
  L('tgl', 'tl', 'Tagalog'),
  L('tha', 'th', 'Thai'),
  L('tuk', 'tk', 'Turkmen'),
  L('tur', 'tr', 'Turkish'),
  L('tzl', null, 'Talossan'),
  L('uig', 'ug', 'Uyghur'),
  L('ukr', 'uk', 'Ukrainian'),
  L('urd', 'ur', 'Urdu'),
  L('uzb', 'uz', 'Uzbek'),
  L('vie', 'vi', 'Vietnamese'),
  L('war', null, 'Waray'),
  L('wuu', null, 'Wu Chinese'),
  L('xho', 'xh', 'Xhosa'),
  L('yid', 'yi', 'Yiddish'),
  L('yue', null, 'Cantonese'),
  L('zsm', 'ms', 'Malay'),
];

/**
 * XTREME's 36 Tatoeba languages (google-research/xtreme, scripts/download_data.sh and evaluate_retrieval.py's
 * `lang3_dict`), in XTREME's order.
 */
export const XTREME_TATOEBA_LANGUAGES: readonly string[] = [
  'ara', 'heb', 'vie', 'ind', 'jav', 'tgl', 'eus', 'mal', 'tam', 'tel', 'afr', 'nld', 'deu', 'ell', 'ben', 'hin', 'mar', 'urd',
  'fra', 'ita', 'por', 'spa', 'bul', 'rus', 'jpn', 'kat', 'kor', 'tha', 'swh', 'cmn', 'kaz', 'tur', 'est', 'fin', 'hun', 'pes',
];

const byLaser = new Map(TATOEBA_LANGUAGES.map((l) => [l.laser, l]));
const byIso1 = new Map(TATOEBA_LANGUAGES.filter((l) => l.iso1).map((l) => [l.iso1!, l]));

/** The entry for a LASER code, or undefined. */
export function tatoebaLanguage(laser: string): TatoebaLanguage | undefined {
  return byLaser.get(laser);
}

/**
 * A `--lang` value as a LASER code: a LASER code (`deu`) or an ISO 639-1 code (`de`), any letter case. English is
 * the pivot of every pair, not a language of its own; anything else is an error listing what is accepted.
 */
export function resolveTatoebaLanguage(code: string): string {
  const c = code.trim().toLowerCase();
  if (c === 'en' || c === 'eng') throw new Error(`tatoeba: '${code}' is English, the pivot of every pair (give the other language, e.g. 'de' for deu-eng)`);
  const hit = byLaser.get(c) ?? byIso1.get(c);
  if (!hit) {
    throw new Error(
      `tatoeba: unknown language '${code}' (expected one of LASER's 112 codes, e.g. deu, cmn, swh, or an ISO 639-1 code such as de, zh, sw; see docs/evaluation.md)`,
    );
  }
  return hit.laser;
}

/**
 * Whether a Tatoeba language was among a model's training languages (codes as the data readers give them, e.g.
 * `de`, `zh-Hans`): the training code's primary subtag equals the language's ISO 639-1 code or its LASER code.
 */
export function tatoebaLanguageSeen(laser: string, trainingLanguages: readonly string[]): boolean {
  const l = byLaser.get(laser);
  const primaries = new Set(trainingLanguages.map((t) => t.split('-')[0]!.toLowerCase()));
  return primaries.has(laser) || (l?.iso1 !== undefined && primaries.has(l.iso1));
}
