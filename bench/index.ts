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
  await mod.main(rest);
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
