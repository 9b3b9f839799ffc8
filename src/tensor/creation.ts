import { aten } from './aten.js';
import { callT, fromArray, Tensor, type Device } from './tensor.js';
import { DTYPE_CODE, type DType } from './scalarType.js';

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  return opts.requiresGrad ? t.requiresGrad_(true) : t;
}

function code(opts: CreateOptions, fallback: DType = 'float32'): number {
  return DTYPE_CODE[opts.dtype ?? fallback];
}

type Nested = number | boolean | Nested[];

function flattenNested(data: Nested, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) throw new Error(`tensor(): ragged nested array at depth ${depth}`);
    for (const d of data) flattenNested(d, shape, out, depth + 1);
  } else {
    if (depth !== shape.length) throw new Error('tensor(): ragged nested array');
    out.push(typeof data === 'boolean' ? (data ? 1 : 0) : data);
  }
}

/** A tensor from (nested) JS numbers, float32 unless `dtype` says otherwise. */
export function tensor(data: Nested, opts: CreateOptions = {}): Tensor {
  const shape: number[] = [];
  const flat: number[] = [];
  flattenNested(data, shape, flat, 0);
  const dtype = opts.dtype ?? 'float32';
  let t: Tensor;
  switch (dtype) {
    case 'float64': t = fromArray(Float64Array.from(flat), shape, { device: opts.device }); break;
    case 'int64': t = fromArray(BigInt64Array.from(flat, (x) => BigInt(Math.trunc(x))), shape, { device: opts.device }); break;
    case 'int32': t = fromArray(Int32Array.from(flat), shape, { device: opts.device }); break;
    case 'bool': t = fromArray(Uint8Array.from(flat, (x) => (x ? 1 : 0)), shape, { dtype: 'bool', device: opts.device }); break;
    case 'uint8': t = fromArray(Uint8Array.from(flat), shape, { device: opts.device }); break;
    default: {
      const f = fromArray(Float32Array.from(flat), shape, { device: opts.device });
      if (dtype === 'float32') t = f;
      else {
        t = f.to(dtype);
        f.dispose();
      }
    }
  }
  return finish(t, opts);
}

export function zeros(shape: number[], opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.zeros, [shape, code(opts), null, opts.device ?? null]), opts);
}
export function ones(shape: number[], opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.ones, [shape, code(opts), null, opts.device ?? null]), opts);
}
export function full(shape: number[], value: number, opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.full, [shape, value, code(opts), null, opts.device ?? null]), opts);
}
export function empty(shape: number[], opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.empty, [shape, code(opts), null, opts.device ?? null]), opts);
}
export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.zerosLike, [t, opts.dtype ? DTYPE_CODE[opts.dtype] : null]), opts);
}
export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.onesLike, [t, opts.dtype ? DTYPE_CODE[opts.dtype] : null]), opts);
}
export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.fullLike, [t, value, opts.dtype ? DTYPE_CODE[opts.dtype] : null]), opts);
}
/** start, start+step, ... < end; int64 when all arguments are integers (as PyTorch), else float32. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  const dtype = opts.dtype ?? (integral ? 'int64' : 'float32');
  return finish(callT(aten.arange, [s, e, step, DTYPE_CODE[dtype], null, opts.device ?? null]), opts);
}
export function eye(n: number, opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.eye, [n, code(opts), null, opts.device ?? null]), opts);
}
/** Standard normal samples from libtorch's default generator (seed with `manualSeed`). */
export function randn(shape: number[], opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.randn, [shape, code(opts), null, opts.device ?? null]), opts);
}
/** Uniform samples in [0, 1). */
export function rand(shape: number[], opts: CreateOptions = {}): Tensor {
  return finish(callT(aten.rand, [shape, code(opts), null, opts.device ?? null]), opts);
}
/** Integers uniformly in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: CreateOptions = {}): Tensor {
  return callT(aten.randint, [low, high, shape, DTYPE_CODE[opts.dtype ?? 'int64'], null, opts.device ?? null]);
}
export function randperm(n: number, opts: CreateOptions = {}): Tensor {
  return callT(aten.randperm, [n, DTYPE_CODE[opts.dtype ?? 'int64'], null, opts.device ?? null]);
}
