/**
 * `npm run bench -- NAME`: runs one benchmark, polyret beside its peer, ending with
 * `NAME: polyret X UNIT, peer Y UNIT, ratio R` (R = polyret's time ÷ the peer's time).
 */
const benches: Record<string, () => Promise<{ main: (argv: string[]) => Promise<void> }>> = {
  train: () => import('./train.js'),
  sampler: () => import('./sampler.js'),
  'eval-xquad-r': () => import('./eval-xquad-r.js'),
  'train-step': () => import('./train-step.js'),
  encode: () => import('./encode.js'),
  'encode-onnx': () => import('./encode-onnx.js'),
  ddp: () => import('./ddp.js'),
};

async function run(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || !benches[name]) {
    console.error(`usage: npm run bench -- NAME [options]\nbenchmarks: ${Object.keys(benches).sort().join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const mod = await benches[name]!();
  try {
    await mod.main(rest);
  } catch (err) {
    // A mistyped flag is a usage error, not a crash: one line naming it, no stack.
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      console.error(`bench ${name}: ${(err as Error).message.split('\n')[0]} (flags: npm run bench -- ${name} --help, or docs/benchmarks.md)`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
