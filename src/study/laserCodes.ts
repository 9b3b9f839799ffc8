/**
 * LASER's Tatoeba language codes (ISO 639-3 / 639-2 style, as in `tatoeba.<code>-eng.<code>`) of XTREME's 36
 * languages, mapped to the ISO 639-1 codes the training data uses, so a Tatoeba language can be classed as seen
 * or unseen in training. Codes not in the map are compared as they are.
 */
export const LASER_TO_ISO: Readonly<Record<string, string>> = {
  afr: 'af', ara: 'ar', aze: 'az', ben: 'bn', bul: 'bg', cmn: 'zh', deu: 'de', ell: 'el', est: 'et', eus: 'eu',
  fin: 'fi', fra: 'fr', heb: 'he', hin: 'hi', hun: 'hu', ind: 'id', ita: 'it', jav: 'jv', jpn: 'ja', kat: 'ka',
  kaz: 'kk', kor: 'ko', mal: 'ml', mar: 'mr', nld: 'nl', pes: 'fa', por: 'pt', ron: 'ro', rus: 'ru', spa: 'es',
  swh: 'sw', tam: 'ta', tel: 'te', tgl: 'tl', tha: 'th', tur: 'tr', urd: 'ur', vie: 'vi', eng: 'en',
};

/** The ISO 639-1 code of a LASER code when known, else the code itself. */
export function isoOf(code: string): string {
  return LASER_TO_ISO[code] ?? code;
}
