import { writeOutputFile } from './outputWriter.js';

/**
 * Writes a file so that readers see either the old content or the whole new content (a temporary file beside
 * the target, fsynced, renamed over it). Kept as the historical name of {@link writeOutputFile}: every write goes
 * through the one output writer, so its checks, its clean-up on errors and signals and its "cannot write PATH"
 * errors apply everywhere.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  writeOutputFile(path, data);
}
