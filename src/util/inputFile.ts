import { openSync, readFileSync } from 'node:fs';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EIO: 'input/output error',
};

/** An fs error reading `path` as "cannot read PATH [(what)]: reason (ERRNO)". */
export function inputError(path: string, err: unknown, what?: string): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code && REASONS[code] ? REASONS[code]! : (err as Error).message;
  return new Error(`cannot read ${what ? `${what} ` : ''}${path}: ${reason}${code ? ` (${code})` : ''}`);
}

/** The whole file as UTF-8 text, or an error naming the file ("cannot read qrels x: it is a folder (EISDIR)"). */
export function readInputText(path: string, what?: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw inputError(path, err, what);
  }
}

/** openSync(path, 'r') with the same errors; a folder is refused at once rather than at the first read. */
export function openInput(path: string, what?: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw inputError(path, err, what);
  }
  return fd;
}
