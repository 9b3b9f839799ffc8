import { native, type NativeHandle, type OpArg, type OpResult } from './native.js';
import { aten } from './aten.js';
import { isHandle, type Op } from './op.js';
import { track, type Disposable } from './scope.js';
import { callProduct } from './bf16Products.js';
import {
  DTYPE_CODE, dtypeFromCode, dtypeOfArray, viewAs, type AnyTypedArray, type DType, type TypedArrayFor,
} from './scalarType.js';

/** A device name: 'cpu', 'cuda' or 'cuda:N'. */
export type Device = string;

/** Anything an operator wrapper accepts in place of an argument. */
export type Arg = Tensor | number | boolean | string | bigint | null | undefined | Arg[];

let gcFreed = 0;
// The safety net for tensors outside every scope (made outside one, kept, or returned from the
// outermost tidy): if such a tensor's JS object is collected without dispose(), its libtorch memory
// is freed here. Tensors inside scopes are never registered, so the hot path pays nothing for it.
const safetyNet = new FinalizationRegistry<NativeHandle>((h) => {
  native.free(h);
  gcFreed += 1;
});

/** How many tensors were freed by the garbage-collection safety net instead of dispose() or a scope. */
export function leakedTensorCount(): number {
  return gcFreed;
}

/** How many tensors JavaScript holds right now (handles not yet disposed): a leak check for tests. */
export function liveTensorCount(): number {
  return native.liveHandles();
}

function toNative(a: Arg): OpArg {
  if (a instanceof Tensor) return a.handle;
  if (Array.isArray(a)) return a.map(toNative);
  return a;
}

function args(list: Arg[], op: Op): OpArg[] {
  try {
    return list.map(toNative);
  } catch (err) {
    // Only the error path pays for naming the operator, the argument and the shapes.
    const bad = list.findIndex(hasDisposed);
    if (bad < 0) throw err;
    const described = list.map((a) => (a instanceof Tensor ? (a.isDisposed ? '<disposed>' : `[${a.shape.join(', ')}] ${a.dtype}`) : Array.isArray(a) ? '[list]' : String(a)));
    throw new Error(`${op.name}${op.overload ? `.${op.overload}` : ''}: argument ${bad} is a disposed tensor (arguments: ${described.join(', ')})`);
  }
}

function hasDisposed(a: Arg): boolean {
  return a instanceof Tensor ? a.isDisposed : Array.isArray(a) && a.some(hasDisposed);
}

/** Wraps an operator result that must be a tensor. */
function wrapOne(r: OpResult | undefined, what: string): Tensor {
  if (!isHandle(r)) throw new Error(`${what}: expected a tensor result`);
  return new Tensor(r);
}

function wrapMany(r: OpResult | undefined, what: string): Tensor[] {
  if (!Array.isArray(r)) throw new Error(`${what}: expected a list of tensors`);
  return r.map((x) => wrapOne(x, what));
}

/** Calls an operator that returns one tensor. */
export function callT(op: Op, list: Arg[]): Tensor {
  return wrapOne(op.call(args(list, op)), op.name);
}

/** Calls an operator that returns several tensors (a tuple or a list). */
export function callTs(op: Op, list: Arg[]): Tensor[] {
  return wrapMany(op.call(args(list, op)), op.name);
}

/** Calls an operator for its side effect (in-place). */
export function callVoid(op: Op, list: Arg[]): void {
  op.run(args(list, op));
}

function normDim(dim: number, ndim: number): number {
  return dim < 0 ? dim + ndim : dim;
}

/**
 * A libtorch tensor. Methods follow PyTorch's names and semantics (broadcasting, type promotion,
 * autograd). Memory is released by `dispose()` or by the enclosing `tidy` scope.
 */
export class Tensor implements Disposable {
  private h: NativeHandle | null;
  private guarded = false;

  /** Wraps a handle returned by the addon; registers the tensor with the current scope. */
  constructor(handle: NativeHandle) {
    this.h = handle;
    if (!track(this)) this.escapeScopes();
  }

  /** Called when the tensor is outside every scope: from then on GC is its safety net. */
  escapeScopes(): void {
    if (!this.guarded && this.h !== null) {
      safetyNet.register(this, this.h, this);
      this.guarded = true;
    }
  }

  /** The native handle; throws when the tensor was disposed. */
  get handle(): NativeHandle {
    if (this.h === null) throw new Error('tensor was disposed');
    return this.h;
  }

  get isDisposed(): boolean {
    return this.h === null;
  }

  /** Releases the libtorch reference now. Safe to call twice. */
  dispose(): void {
    if (this.h !== null) {
      native.free(this.h);
      if (this.guarded) safetyNet.unregister(this);
      this.h = null;
    }
  }

  // ---- metadata ----
  get shape(): number[] {
    return native.shape(this.handle);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const s = this.shape;
    const d = normDim(dim, s.length);
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dimensions`);
    return s[d]!;
  }
  get dtype(): DType {
    return dtypeFromCode(native.dtype(this.handle));
  }
  get device(): Device {
    return native.device(this.handle);
  }

  // ---- reading back ----
  /** Copies the elements (row-major) into a new typed array of the tensor's dtype. */
  data<D extends DType = DType>(): TypedArrayFor<D> {
    return viewAs(this.dtype, native.toBuffer(this.handle)) as TypedArrayFor<D>;
  }
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return new Float32Array(native.toBuffer(this.handle));
    const t = this.to('float32');
    try {
      return new Float32Array(native.toBuffer(t.handle));
    } finally {
      t.dispose();
    }
  }
  /** The elements as JS numbers (int64 converted with Number()). */
  toNumbers(): number[] {
    const d = this.data();
    if (d instanceof BigInt64Array) return Array.from(d, (x) => Number(x));
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') return Array.from(this.toFloat32Array());
    return Array.from(d as Exclude<AnyTypedArray, BigInt64Array>);
  }
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  toString(): string {
    if (this.h === null) return 'Tensor(disposed)';
    const n = this.numel;
    const vals = n <= 16 ? ` ${JSON.stringify(this.toNumbers())}` : '';
    return `Tensor([${this.shape.join(', ')}] ${this.dtype} ${this.device}${this.requiresGrad ? ' requiresGrad' : ''})${vals}`;
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  /** Sets requires_grad in place (leaf tensors) and returns this. */
  requiresGrad_(on = true): this {
    // libtorch's C++ setter silently keeps a non-leaf's grad_fn (requiresGrad stays true);
    // PyTorch's Python API refuses instead, and so do we.
    if (!on && !this.isLeaf) {
      throw new Error(`requiresGrad_(false): tensor [${this.shape.join(', ')}] is not a leaf; only leaf tensors can change requires_grad (use detach())`);
    }
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The accumulated gradient (a new handle to it), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    native.setGrad(this.handle, g === null ? null : g.handle);
  }
  /** Drops the gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    native.setGrad(this.handle, null);
  }
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }
  /** Backpropagates from this tensor (a scalar, or with an explicit `gradient`). */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean } = {}): void {
    native.backward([this.handle], [gradient ? gradient.handle : null], opts.retainGraph ?? false);
  }
  detach(): Tensor {
    return callT(aten.detach, [this]);
  }

  // ---- conversion ----
  /** Converts to a dtype and/or device (a no-op copy-free view when nothing changes). */
  to(target: DType | Device, second?: DType): Tensor {
    if (target in DTYPE_CODE && second === undefined) return callT(aten.toDtype, [this, DTYPE_CODE[target as DType]]);
    const dtype = second ?? this.dtype;
    return callT(aten.toDevice, [this, target, DTYPE_CODE[dtype]]);
  }
  float(): Tensor {
    return this.to('float32');
  }
  long(): Tensor {
    return this.to('int64');
  }
  contiguous(): Tensor {
    return callT(aten.contiguous, [this]);
  }
  clone(): Tensor {
    return callT(aten.clone, [this]);
  }
  pinMemory(): Tensor {
    return callT(aten.pinMemory, [this]);
  }

  // ---- arithmetic (broadcasting; numbers are scalars) ----
  add(other: Tensor | number, alpha?: number): Tensor {
    return typeof other === 'number' ? callT(aten.addScalar, [this, other, alpha]) : callT(aten.add, [this, other, alpha]);
  }
  sub(other: Tensor | number, alpha?: number): Tensor {
    return typeof other === 'number' ? callT(aten.subScalar, [this, other, alpha]) : callT(aten.sub, [this, other, alpha]);
  }
  /** other - this */
  rsub(other: number): Tensor {
    return callT(aten.rsubScalar, [this, other]);
  }
  mul(other: Tensor | number): Tensor {
    return typeof other === 'number' ? callT(aten.mulScalar, [this, other]) : callT(aten.mul, [this, other]);
  }
  div(other: Tensor | number): Tensor {
    return typeof other === 'number' ? callT(aten.divScalar, [this, other]) : callT(aten.div, [this, other]);
  }
  pow(exponent: Tensor | number): Tensor {
    return typeof exponent === 'number' ? callT(aten.powScalar, [this, exponent]) : callT(aten.pow, [this, exponent]);
  }
  neg(): Tensor { return callT(aten.neg, [this]); }
  exp(): Tensor { return callT(aten.exp, [this]); }
  log(): Tensor { return callT(aten.log, [this]); }
  log1p(): Tensor { return callT(aten.log1p, [this]); }
  sqrt(): Tensor { return callT(aten.sqrt, [this]); }
  rsqrt(): Tensor { return callT(aten.rsqrt, [this]); }
  abs(): Tensor { return callT(aten.abs, [this]); }
  sign(): Tensor { return callT(aten.sign, [this]); }
  reciprocal(): Tensor { return callT(aten.reciprocal, [this]); }
  square(): Tensor { return callT(aten.square, [this]); }
  tanh(): Tensor { return callT(aten.tanh, [this]); }
  sigmoid(): Tensor { return callT(aten.sigmoid, [this]); }
  relu(): Tensor { return callT(aten.relu, [this]); }
  /** GELU; 'none' is the exact erf form (BERT), 'tanh' the approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return callT(aten.gelu, [this, approximate]); }
  erf(): Tensor { return callT(aten.erf, [this]); }
  clamp(min?: number | null, max?: number | null): Tensor { return callT(aten.clamp, [this, min ?? null, max ?? null]); }
  clampMin(min: number): Tensor { return callT(aten.clampMin, [this, min]); }
  maximum(other: Tensor): Tensor { return callT(aten.maximum, [this, other]); }
  minimum(other: Tensor): Tensor { return callT(aten.minimum, [this, other]); }

  // ---- in-place (return this; used by optimizers under noGrad) ----
  add_(other: Tensor | number, alpha?: number): this {
    if (typeof other === 'number') callVoid(aten.addScalar_, [this, other, alpha]);
    else callVoid(aten.add_, [this, other, alpha]);
    return this;
  }
  sub_(other: Tensor, alpha?: number): this { callVoid(aten.sub_, [this, other, alpha]); return this; }
  mul_(other: Tensor | number): this {
    if (typeof other === 'number') callVoid(aten.mulScalar_, [this, other]);
    else callVoid(aten.mul_, [this, other]);
    return this;
  }
  div_(other: Tensor | number): this {
    if (typeof other === 'number') callVoid(aten.divScalar_, [this, other]);
    else callVoid(aten.div_, [this, other]);
    return this;
  }
  sqrt_(): this { callVoid(aten.sqrt_, [this]); return this; }
  clamp_(min?: number | null, max?: number | null): this { callVoid(aten.clamp_, [this, min ?? null, max ?? null]); return this; }
  /** this += value * t1 * t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this { callVoid(aten.addcmul_, [this, t1, t2, value]); return this; }
  /** this += value * t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this { callVoid(aten.addcdiv_, [this, t1, t2, value]); return this; }
  lerp_(end: Tensor, weight: number): this { callVoid(aten.lerpScalar_, [this, end, weight]); return this; }
  copy_(src: Tensor): this { callVoid(aten.copy_, [this, src]); return this; }
  fill_(value: number): this { callVoid(aten.fill_, [this, value]); return this; }
  zero_(): this { callVoid(aten.zero_, [this]); return this; }
  maskedFill_(mask: Tensor, value: number): this { callVoid(aten.maskedFill_, [this, mask, value]); return this; }
  normal_(mean = 0, std = 1): this { callVoid(aten.normal_, [this, mean, std]); return this; }
  uniform_(from = 0, to = 1): this { callVoid(aten.uniform_, [this, from, to]); return this; }

  // ---- comparisons (bool results) ----
  eq(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.eqScalar, [this, o]) : callT(aten.eq, [this, o]); }
  ne(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.neScalar, [this, o]) : callT(aten.ne, [this, o]); }
  lt(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.ltScalar, [this, o]) : callT(aten.lt, [this, o]); }
  le(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.leScalar, [this, o]) : callT(aten.le, [this, o]); }
  gt(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.gtScalar, [this, o]) : callT(aten.gt, [this, o]); }
  ge(o: Tensor | number): Tensor { return typeof o === 'number' ? callT(aten.geScalar, [this, o]) : callT(aten.ge, [this, o]); }
  logicalAnd(o: Tensor): Tensor { return callT(aten.logicalAnd, [this, o]); }
  logicalOr(o: Tensor): Tensor { return callT(aten.logicalOr, [this, o]); }
  logicalNot(): Tensor { return callT(aten.logicalNot, [this]); }
  isnan(): Tensor { return callT(aten.isnan, [this]); }
  isfinite(): Tensor { return callT(aten.isfinite, [this]); }
  maskedFill(mask: Tensor, value: number): Tensor { return callT(aten.maskedFill, [this, mask, value]); }

  // ---- reductions ----
  sum(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? callT(aten.sumAll, [this]) : callT(aten.sumDim, [this, dim, keepdim]);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? callT(aten.meanAll, [this]) : callT(aten.meanDim, [this, dim, keepdim]);
  }
  /** Maximum of all elements. */
  max(): Tensor {
    return callT(aten.maxAll, [this]);
  }
  /** Maximum along a dimension: values and their indices. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTs(aten.maxDim, [this, dim, keepdim]) as [Tensor, Tensor];
    return { values, indices };
  }
  min(): Tensor {
    return callT(aten.minAll, [this]);
  }
  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTs(aten.minDim, [this, dim, keepdim]) as [Tensor, Tensor];
    return { values, indices };
  }
  argmax(dim?: number, keepdim = false): Tensor { return callT(aten.argmax, [this, dim ?? null, keepdim]); }
  argmin(dim?: number, keepdim = false): Tensor { return callT(aten.argmin, [this, dim ?? null, keepdim]); }
  /** p-norm along dims (all dims when omitted). */
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    const dims = dim === undefined ? [...Array(this.ndim).keys()] : dim;
    return callT(aten.normDim, [this, p, dims, keepdim]);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return callT(aten.logsumexp, [this, dim, keepdim]); }
  all(): Tensor { return callT(aten.all, [this]); }
  any(): Tensor { return callT(aten.any, [this]); }
  cumsum(dim: number): Tensor { return callT(aten.cumsum, [this, dim]); }
  /** The k largest (or smallest) entries along `dim` with their indices. */
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTs(aten.topk, [this, k, dim, largest, sorted]) as [Tensor, Tensor];
    return { values, indices };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTs(aten.sort, [this, dim, descending]) as [Tensor, Tensor];
    return { values, indices };
  }
  argsort(dim = -1, descending = false): Tensor { return callT(aten.argsort, [this, dim, descending]); }

  // ---- linear algebra ----
  // Under CPU bf16 autocast on a CPU without native bf16, products take polyret's emulation (bf16Products.ts).
  matmul(o: Tensor): Tensor { return callProduct(aten.matmul, [this, o]); }
  mm(o: Tensor): Tensor { return callProduct(aten.mm, [this, o]); }
  bmm(o: Tensor): Tensor { return callProduct(aten.bmm, [this, o]); }

  // ---- shapes ----
  view(...shape: number[]): Tensor { return callT(aten.view, [this, shape]); }
  reshape(...shape: number[]): Tensor { return callT(aten.reshape, [this, shape]); }
  permute(...dims: number[]): Tensor { return callT(aten.permute, [this, dims]); }
  transpose(d0: number, d1: number): Tensor { return callT(aten.transpose, [this, d0, d1]); }
  t(): Tensor { return callT(aten.t, [this]); }
  narrow(dim: number, start: number, length: number): Tensor { return callT(aten.narrow, [this, dim, start, length]); }
  /** Elements start..end (exclusive) with a step along `dim`, like x[start:end:step]. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return callT(aten.slice, [this, dim, start ?? null, end ?? null, step]);
  }
  select(dim: number, index: number): Tensor { return callT(aten.select, [this, dim, index]); }
  squeeze(dim: number): Tensor { return callT(aten.squeezeDim, [this, dim]); }
  unsqueeze(dim: number): Tensor { return callT(aten.unsqueeze, [this, dim]); }
  flatten(startDim = 0, endDim = -1): Tensor { return callT(aten.flatten, [this, startDim, endDim]); }
  expand(...shape: number[]): Tensor { return callT(aten.expand, [this, shape]); }
  expandAs(o: Tensor): Tensor { return callT(aten.expandAs, [this, o]); }
  repeat(...times: number[]): Tensor { return callT(aten.repeat, [this, times]); }
  chunk(chunks: number, dim = 0): Tensor[] { return callTs(aten.chunk, [this, chunks, dim]); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return typeof sizeOrSizes === 'number'
      ? callTs(aten.split, [this, sizeOrSizes, dim])
      : callTs(aten.splitWithSizes, [this, sizeOrSizes, dim]);
  }
  indexSelect(dim: number, index: Tensor): Tensor { return callT(aten.indexSelect, [this, dim, index]); }
  /** Advanced indexing x[i0, i1, ...] with index tensors (null keeps a dimension whole). */
  index(indices: (Tensor | null)[]): Tensor { return callT(aten.index, [this, indices]); }
  gather(dim: number, index: Tensor): Tensor { return callT(aten.gather, [this, dim, index]); }
  tril(diagonal = 0): Tensor { return callT(aten.tril, [this, diagonal]); }

  // ---- neural-network helpers used as methods ----
  softmax(dim: number): Tensor { return callT(aten.softmax, [this, dim]); }
  logSoftmax(dim: number): Tensor { return callT(aten.logSoftmax, [this, dim]); }
}

/**
 * Creates a tensor by copying a typed array; `shape` defaults to 1-D. With a CUDA `device`, `pin` stages the
 * data in pinned host memory so the upload runs asynchronously (batches overlap the previous step's kernels).
 */
export function fromArray(data: AnyTypedArray, shape?: number[], opts: { dtype?: DType; device?: Device; pin?: boolean } = {}): Tensor {
  const dtype = opts.dtype ?? dtypeOfArray(data);
  const s = shape ?? [data.length];
  return new Tensor(native.fromBuffer(data, s, DTYPE_CODE[dtype], opts.device, opts.pin ?? false));
}
