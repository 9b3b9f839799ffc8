// Bad input never crashes the process: each case throws a JavaScript Error that names the
// operator and the shapes involved, and the engine stays usable afterwards.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, tensor, ones, randn, fromArray, cat, stack, where, linear, embedding, layerNorm, crossEntropy, tidy, backward,
  cudaAvailable, type Arg,
} from '../../src/tensor/index.js';

/** Asserts that `fn` throws an Error (not a crash) whose message matches every pattern. */
function throwsNaming(fn: () => unknown, ...patterns: RegExp[]): void {
  tidy(() => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  });
}

/** Calls a method with an argument of the wrong type, as plain JavaScript callers can. */
function untyped<T>(v: unknown): T {
  return v as T;
}

describe('shape mismatches name the op and the shapes', () => {
  it('mm', () => throwsNaming(() => ones([2, 3]).mm(ones([2, 3])), /^aten::mm: /, /2x3 and 2x3/, /self=\[2,3\] Float cpu, mat2=\[2,3\] Float cpu/));
  it('matmul', () => throwsNaming(() => ones([2, 3]).matmul(ones([4, 5])), /^aten::matmul: /, /self=\[2,3\].*other=\[4,5\]/));
  it('bmm on 2-D input', () => throwsNaming(() => ones([2, 3]).bmm(ones([3, 2])), /^aten::bmm: /, /3D/, /self=\[2,3\]/));
  it('linear', () => throwsNaming(() => linear(ones([2, 3]), ones([4, 5])), /^aten::linear: /, /input=\[2,3\].*weight=\[4,5\]/));
  it('add broadcasting', () =>
    throwsNaming(() => ones([2, 3]).add(ones([4])), /^aten::add\.Tensor: /, /size of tensor a \(3\) must match the size of tensor b \(4\)/, /self=\[2,3\].*other=\[4\]/));
  it('mul broadcasting', () => throwsNaming(() => ones([2, 3, 4]).mul(ones([3, 3])), /^aten::mul\.Tensor: /, /self=\[2,3,4\].*other=\[3,3\]/));
  it('cat', () => throwsNaming(() => cat([ones([2, 3]), ones([2, 4])], 0), /^aten::cat: /, /Expected size 3 but got size 4/, /tensors=\[\[2,3\] Float cpu; \[2,4\] Float cpu\]/));
  it('stack', () => throwsNaming(() => stack([ones([2, 3]), ones([3, 2])]), /^aten::stack: /, /\[2, 3\] at entry 0 and \[3, 2\] at entry 1/));
  it('view', () => throwsNaming(() => ones([2, 3]).view(4, 2), /^aten::view: /, /'\[4, 2\]' is invalid for input of size 6/));
  it('expand', () => throwsNaming(() => ones([2, 3]).expand(4, 3), /^aten::expand: /, /Target sizes: \[4, 3\]\.\s+Tensor sizes: \[2, 3\]/));
  it('layer_norm', () => throwsNaming(() => layerNorm(ones([2, 3]), [4], null, null), /^aten::layer_norm: /, /normalized_shape=\[4\]/, /input=\[2,3\]/));
  it('backward with a gradient of the wrong shape', () =>
    throwsNaming(() => ones([2], { requiresGrad: true }).mul(2).backward(ones([3])), /^backward: /, /got \[3\] but expected shape compatible with \[2\]/));
});

describe('dtype and value errors', () => {
  it('embedding with float ids', () =>
    throwsNaming(() => embedding(ones([5, 3]), tensor([0, 1])), /^aten::embedding: /, /'indices'.*Long, Int.*Float/, /weight=\[5,3\] Float cpu, indices=\[2\] Float cpu/));
  it('embedding with an id out of range', () =>
    throwsNaming(() => embedding(ones([5, 3]), tensor([0, 7], { dtype: 'int64' })), /^aten::embedding: /, /index out of range/, /indices=\[2\] Long/));
  it('cross_entropy with float targets and with an out-of-range class', () => {
    throwsNaming(() => crossEntropy(ones([2, 3]), tensor([0, 1])), /^aten::cross_entropy_loss: /, /(Long but found Float|target dtype to be Long.* but got Float)/, /target=\[2\] Float/);
    throwsNaming(() => crossEntropy(ones([2, 3]), tensor([0, 5], { dtype: 'int64' })), /^aten::cross_entropy_loss: /, /Target 5 is out of bounds/);
  });
  it('where with a float condition', () => throwsNaming(() => where(ones([2]), ones([2]), ones([2])), /^aten::where\.self: /, /boolean/, /condition=\[2\] Float/));
  it('index_select with float indices', () => throwsNaming(() => ones([2, 3]).indexSelect(0, tensor([0])), /^aten::index_select: /, /int32 or int64/));
  it('requiresGrad on an integer tensor', () => throwsNaming(() => tensor([1], { dtype: 'int64' }).requiresGrad_(), /^requiresGrad_: /, /floating point/));
  it('backward from a tensor that does not require grad', () => throwsNaming(() => ones([2]).sum().backward(), /^backward: /, /does not require grad/));
  it('item on a tensor with several elements', () => throwsNaming(() => ones([2]).item(), /^item: /, /\[2\] Float cpu has 2 elements/));
  it('a device that does not exist, and CUDA on a CPU-only build', () => {
    throwsNaming(() => ones([2]).to('tpu'), /^aten::to\.device: device: /, /tpu/);
    if (!cudaAvailable()) {
      throwsNaming(() => ones([2]).to('cuda'), /^aten::to\.device: /, /cuda/, /self=\[2\] Float cpu/);
      throwsNaming(() => ones([2]).pinMemory(), /^aten::pin_memory: /);
    }
  });
});

describe('use of a disposed tensor', () => {
  it('as the receiver, as an argument and inside a list', () => {
    const dead = ones([2]);
    dead.dispose();
    throwsNaming(() => dead.add(1), /^aten::add\.Scalar: argument 0 is a disposed tensor/);
    throwsNaming(() => ones([2]).add(dead), /^aten::add\.Tensor: argument 1 is a disposed tensor \(arguments: \[2\] float32, <disposed>/);
    throwsNaming(() => cat([ones([2]), dead]), /^aten::cat: argument 0 is a disposed tensor/);
    throwsNaming(() => backward([dead]), /disposed/);
    throwsNaming(() => dead.shape, /disposed/);
    throwsNaming(() => dead.toNumbers(), /disposed/);
  });
  it('a tensor freed by an earlier tidy', () => {
    const inner = tidy(() => {
      const t = ones([3]);
      tidy(() => t.mul(2));
      return t;
    });
    let freed!: Tensor;
    tidy(() => {
      freed = inner.mul(2);
    });
    throwsNaming(() => freed.sum(), /^aten::sum: argument 0 is a disposed tensor/);
    inner.dispose();
  });
});

describe('wrong argument types and ranges', () => {
  it('a string where a number is expected', () => {
    throwsNaming(() => ones([2]).mul(untyped<number>('3')), /^aten::mul\.Tensor: other: expected a tensor/);
    throwsNaming(() => ones([2, 3]).sum(untyped<number>('1')), /^aten::sum\.dim_IntList: dim: expected an array/);
    throwsNaming(() => ones([2, 3]).transpose(untyped<number>('0'), 1), /^aten::transpose\.int: dim0: expected an integer/);
    throwsNaming(() => ones([2]).add(ones([2]), untyped<number>('x')), /^aten::add\.Tensor: alpha: expected a number or boolean/);
  });
  it('a fractional number where an integer is expected', () => {
    throwsNaming(() => ones([2, 3]).sum(1.5), /^aten::sum\.dim_IntList: dim: expected an integer, got 1\.5/);
    throwsNaming(() => randn([1.5]), /^aten::randn: size: expected an integer, got 1\.5/);
  });
  it('an out-of-range dim or index', () => {
    throwsNaming(() => ones([2, 3]).sum(5), /^aten::sum\.dim_IntList: /, /Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)/, /self=\[2,3\]/);
    throwsNaming(() => ones([2, 3]).softmax(2), /^aten::softmax\.int: /, /Dimension out of range/);
    throwsNaming(() => ones([2, 3]).transpose(0, -3), /^aten::transpose\.int: /, /Dimension out of range/);
    throwsNaming(() => ones([2, 3]).select(0, 5), /^aten::select\.int: /, /index 5 out of range for tensor of size \[2, 3\]/);
    throwsNaming(() => ones([2, 3]).narrow(1, 2, 5), /^aten::narrow: /, /exceeds dimension size \(3\)/);
    throwsNaming(() => ones([2, 3]).gather(1, tensor([[0, 9], [0, 0]], { dtype: 'int64' })), /^aten::gather: /, /index 9 is out of bounds/);
    throwsNaming(() => ones([2, 3]).size(4), /^size\(4\): tensor has 2 dimensions/);
  });
  it('negative sizes', () => throwsNaming(() => randn([-1, 2]), /^aten::randn: /, /negative dimension -1/));
  it('too many or missing operator arguments', async () => {
    const { callT, aten } = await import('../../src/tensor/index.js');
    throwsNaming(() => callT(aten.neg, [ones([1]), 1, 2] as Arg[]), /^aten::neg: 3 arguments given, at most 1 expected/);
    throwsNaming(() => callT(aten.add, [ones([1])]), /^aten::add\.Tensor: missing argument 'other'/);
  });
});

describe('fromArray and tensor() validate shapes', () => {
  it('a shape that does not match the data length', () => {
    throwsNaming(() => fromArray(new Float32Array(5), [2, 3]), /^fromBuffer: shape \[2,3\] Float cpu needs 24 bytes, the buffer has 20/);
    throwsNaming(() => fromArray(new BigInt64Array(4), [5]), /^fromBuffer: shape \[5\] Long cpu needs 40 bytes, the buffer has 32/);
  });
  it('negative or fractional shape entries', () => {
    throwsNaming(() => fromArray(new Float32Array(6), [-2, -3]), /^fromBuffer: shape entries must be non-negative integers/);
    throwsNaming(() => fromArray(new Float32Array(6), [2.5, 3]), /^fromBuffer: shape entries must be non-negative integers/);
  });
  it('not a typed array', () => throwsNaming(() => fromArray(untyped<Float32Array>([1, 2, 3]), [3]), /^fromBuffer: expected a typed array/));
  it('a Uint16Array without a dtype is ambiguous', () => throwsNaming(() => fromArray(new Uint16Array(2)), /ambiguous: pass dtype float16 or bfloat16/));
  it('ragged nested arrays', () => throwsNaming(() => tensor([[1, 2], [3]]), /^tensor\(\): ragged nested array/));
});

after(() => {
  // The process survived every case above, and the engine still computes.
  const v = tidy(() => ones([2, 2]).matmul(ones([2, 2])).sum().item());
  assert.equal(v, 8);
});
