/** The longest excerpt of an input line an error message quotes (a 1 MB bad line must not give a 1 MB message). */
export const QUOTE_LIMIT = 200;

/**
 * `s` in single quotes, cut to `max` characters with "… (N characters)" when longer, control characters shown
 * as escapes, so an error message stays one readable line whatever the input was.
 */
export function quoteExcerpt(s: string, max = QUOTE_LIMIT): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  // eslint-disable-next-line no-control-regex
  const shown = cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > max ? `'${shown}…' (${s.length} characters)` : `'${shown}'`;
}
