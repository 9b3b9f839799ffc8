import type { z } from 'zod';

/** A JSON file that does not have the shape polyret wrote: names the file and the first bad fields. */
export class SchemaError extends Error {
  constructor(readonly file: string, readonly fields: string[], message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/**
 * Validates `value` (read from `file`) with a zod schema and returns the typed value, or throws a SchemaError
 * "FILE: field a.b.c: what was expected" naming at most three fields. Every JSON polyret reads back (checkpoint
 * trainer state, results files, sampler states) goes through here, so an edited or damaged file is reported by
 * name and field instead of surfacing later as a TypeError or a libtorch error.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 3);
  const fields = issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(top level)'));
  const parts = issues.map((i, k) => `field ${fields[k]}: ${i.message}`);
  const more = r.error.issues.length > 3 ? ` (and ${r.error.issues.length - 3} more)` : '';
  throw new SchemaError(file, fields, `${file}: ${parts.join('; ')}${more}`);
}

/** JSON.parse naming the file on a syntax error. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
