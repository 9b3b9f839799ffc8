// polyret's emulated CPU bf16 products (src/tensor/bf16Products.ts) against PyTorch 2.13's torch.autocast('cpu',
// bfloat16): test/fixtures/tensor/bf16Products.json, written by scripts/fixtures/tensor/gen_bf16_products.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  autocast, baddbmm, bf16Products, cpuBf16Support, fromArray, linear, ones, setBf16Products, tidy, type Tensor,
} from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';

interface Values { shape: number[]; values: number[] }
interface Case { name: string; args: number[]; inputs: Values[]; g: Values; out: Values; grads: number[][] }
const fixture = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'tensor', 'bf16Products.json'), 'utf8')) as { torch: string; onesDot2048: number; cases: Case[] };

type Product = (xs: Tensor[], args: number[]) => Tensor;
const PRODUCTS: Record<string, Product> = {
  linear: ([x, w, b]) => linear(x!, w!, b!),
  matmul: ([a, b]) => a!.matmul(b!),
  mm: ([a, b]) => a!.mm(b!),
  bmm: ([a, b]) => a!.bmm(b!),
  baddbmm: ([i, a, b], [beta, alpha]) => baddbmm(i!, a!, b!, beta, alpha),
};

const leaf = (v: Values) => fromArray(Float32Array.from(v.values, Math.fround), v.shape).requiresGrad_(true);

/** One bf16 unit in the last place at |v| (bf16 keeps 8 significant bits). */
function bf16Ulp(v: number): number {
  return v === 0 ? 2 ** -133 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 7);
}

/**
 * Two float32-summing bf16 products may round the same exact products summed in another order to neighbouring bf16
 * values: one ulp apart at most. The 1e-5 covers float32 summation error where a sum cancels to near zero.
 */
function assertWithinOneBf16Ulp(got: ArrayLike<number>, want: number[], what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    assert.ok(d <= bf16Ulp(want[i]!) + 1e-5, `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]} (${d} > one bf16 ulp)`);
  }
}

function withProducts<T>(mode: 'libtorch' | 'emulated', fn: () => T): T {
  setBf16Products(mode);
  try {
    return fn();
  } finally {
    setBf16Products('auto');
  }
}

for (const c of fixture.cases) {
  test(`emulated bf16 ${c.name}: output and gradients within one bf16 rounding of PyTorch ${fixture.torch}'s CPU autocast, bits equal to the by-hand emulation`, () => {
    withProducts('emulated', () => tidy(() => {
      const product = PRODUCTS[c.name]!;
      const xs = c.inputs.map(leaf);
      const out = autocast('cpu', 'bfloat16', () => product(xs, c.args));
      assert.equal(out.dtype, 'bfloat16');
      assert.deepEqual(out.shape, c.out.shape);
      assertWithinOneBf16Ulp(out.float().data<'float32'>(), c.out.values, `${c.name} output`);
      out.float().mul(fromArray(Float32Array.from(c.g.values, Math.fround), c.g.shape)).sum().backward();
      xs.forEach((x, i) => {
        assert.equal(x.grad!.dtype, 'float32');
        assertWithinOneBf16Ulp(x.grad!.data<'float32'>(), c.grads[i]!, `${c.name} grad of input ${i}`);
      });
      // The emulation is exactly: operands rounded to bf16, the float32 kernel, the result rounded to bf16.
      const byHand = product(xs.map((x) => x.detach().to('bfloat16').float()), c.args).to('bfloat16');
      assert.deepEqual(Array.from(out.data<'bfloat16'>()), Array.from(byHand.data<'bfloat16'>()));
    }));
  });
}

test('emulated bf16 products sum in float32: 2048 ones add up to 2048, as in PyTorch 2.x (a bf16 running sum stops at 256)', () => {
  assert.equal(fixture.onesDot2048, 2048);
  withProducts('emulated', () => tidy(() => {
    assert.equal(autocast('cpu', 'bfloat16', () => ones([1, 2048]).matmul(ones([2048, 1]))).item(), 2048);
    assert.equal(autocast('cpu', 'bfloat16', () => linear(ones([1, 2048]), ones([1, 2048]))).item(), 2048);
  }));
});

test('bf16 products: emulation only inside CPU bf16 autocast regions, nested regions restore it, libtorch mode runs libtorch\'s kernel', () => {
  tidy(() => {
    const x = fromArray(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 3), [4, 8]);
    const w = fromArray(Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.7)), [5, 8]);
    const libtorchBits = Array.from(linear(x.to('bfloat16'), w.to('bfloat16')).data<'bfloat16'>());
    const emulatedBits = Array.from(linear(x.to('bfloat16').float(), w.to('bfloat16').float()).to('bfloat16').data<'bfloat16'>());
    withProducts('emulated', () => {
      assert.equal(bf16Products(), 'emulated');
      assert.equal(linear(x, w).dtype, 'float32', 'outside autocast: plain float32');
      autocast('cpu', 'bfloat16', () => {
        autocast('cpu', 'bfloat16', () => undefined);
        assert.deepEqual(Array.from(linear(x, w).data<'bfloat16'>()), emulatedBits);
        // float64 operands are not autocast: they keep libtorch's call (and float64).
        assert.equal(linear(x.to('float64'), w.to('float64')).dtype, 'float64');
      });
    });
    withProducts('libtorch', () => {
      assert.equal(bf16Products(), 'libtorch');
      // libtorch's own kernel: the bits of multiplying bf16 tensors by hand (outside autocast).
      assert.deepEqual(Array.from(autocast('cpu', 'bfloat16', () => linear(x, w)).data<'bfloat16'>()), libtorchBits);
    });
    // A region keeps the choice it opened with.
    withProducts('emulated', () => autocast('cpu', 'bfloat16', () => {
      setBf16Products('libtorch');
      assert.deepEqual(Array.from(linear(x, w).data<'bfloat16'>()), emulatedBits);
    }));
  });
  assert.equal(bf16Products(), cpuBf16Support().native ? 'libtorch' : 'emulated', 'auto: emulated exactly when bf16 is not native');
  assert.throws(() => setBf16Products('fast' as 'auto'), /setBf16Products: expected auto, libtorch, emulated, got 'fast'/);
});

test('POLYRET_BF16_PRODUCTS picks the mode; a bad value is a clear error', () => {
  const run = (value: string) => spawnSync(process.execPath, ['--input-type=module', '-e',
    `const t = await import(${JSON.stringify(join(projectRoot(), 'dist', 'src', 'tensor', 'index.js'))}); console.log(t.bf16Products());`,
  ], { env: { ...process.env, POLYRET_BF16_PRODUCTS: value }, encoding: 'utf8' });
  assert.equal(run('libtorch').stdout.trim(), 'libtorch');
  assert.equal(run('emulated').stdout.trim(), 'emulated');
  const bad = run('turbo');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /POLYRET_BF16_PRODUCTS must be auto, libtorch, emulated or unset, got 'turbo'/);
});
