/**
 * Orders two document ids the way C's `strcmp` orders their UTF-8 bytes, which is what
 * trec_eval uses to break score ties. UTF-8 byte order equals Unicode code point order; JavaScript's
 * `<` compares UTF-16 code units instead, which differs for characters above U+FFFF versus U+E000–U+FFFF,
 * so the comparison walks code points whenever a surrogate shows up.
 */
export function compareDocids(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const surrogateA = ca >= 0xd800 && ca <= 0xdfff;
    const surrogateB = cb >= 0xd800 && cb <= 0xdfff;
    if (!surrogateA && !surrogateB) return ca < cb ? -1 : 1;
    const pa = a.codePointAt(i)!;
    const pb = b.codePointAt(i)!;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
