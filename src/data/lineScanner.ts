import { closeSync, readSync } from 'node:fs';
import { inputError, openInput } from '../util/inputFile.js';

/**
 * Calls `onLine(buf, start, end, byteOffset, lineNo)` for every line of a file, reading it in large
 * chunks. The callback sees raw bytes (`buf[start..end)`, without the newline or a trailing `\r`)
 * so that indexers can parse just an id prefix without decoding gigabytes of text into strings.
 * The buffer is reused: copy out what must outlive the call.
 */
export function scanLines(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, byteOffset: number, lineNo: number) => void,
  chunkSize = 4 << 20,
): void {
  const fd = openInput(path);
  try {
    let buf = Buffer.allocUnsafe(chunkSize);
    let have = 0; // bytes in buf
    let fileOff = 0; // file offset of buf[0]
    let lineNo = 0;
    let eof = false;
    while (!eof || have > 0) {
      if (!eof) {
        if (have === buf.length) {
          // A single line longer than the buffer: grow it.
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
        let n: number;
        try {
          n = readSync(fd, buf, have, buf.length - have, fileOff + have);
        } catch (err) {
          throw inputError(path, err); // EISDIR surfaces at the first read
        }
        if (n === 0) eof = true;
        have += n;
      }
      let pos = 0;
      for (;;) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0 || nl >= have) break;
        let end = nl;
        if (end > pos && buf[end - 1] === 13) end--;
        onLine(buf, pos, end, fileOff + pos, ++lineNo);
        pos = nl + 1;
      }
      if (eof) {
        if (pos < have) {
          let end = have;
          if (buf[end - 1] === 13) end--;
          onLine(buf, pos, end, fileOff + pos, ++lineNo);
        }
        break;
      }
      // Keep the partial last line for the next read.
      buf.copy(buf, 0, pos, have);
      fileOff += pos;
      have -= pos;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `position` of an open file (positioned read; no shared file cursor). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new Error(`unexpected end of file reading ${length} bytes at ${position}`);
    got += n;
  }
  return buf;
}
