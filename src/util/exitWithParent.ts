/**
 * For child processes of `polyret study`: exit when the parent goes away. The parent holds the write end of the
 * child's stdin; when the parent dies (even by SIGKILL) the pipe closes and the child stops at its next turn of
 * the event loop (between training steps), so a killed study never leaves a trainer writing into a run folder
 * that a resumed study is about to use. Only active when POLYRET_EXIT_WITH_PARENT=1.
 */
export function exitWithParent(): void {
  if (process.env.POLYRET_EXIT_WITH_PARENT !== '1') return;
  const stdin = process.stdin;
  const bye = () => process.exit(129);
  stdin.on('end', bye);
  stdin.on('close', bye);
  stdin.on('error', bye);
  stdin.resume();
  // Listening must not keep a finished child alive.
  (stdin as unknown as { unref?: () => void }).unref?.();
}
