/**
 * Memory scopes. libtorch memory must not wait for the JS garbage collector (a training step
 * creates hundreds of intermediate tensors, each possibly megabytes), so every tensor created
 * inside `tidy(fn)` is released when `fn` returns, except the tensors it returns and those
 * marked with `keep()`. libtorch's own reference counting keeps whatever autograd saved for
 * backward alive, so releasing JS handles early is always safe.
 */

/** What a scope needs from a tensor: a way to free it and to tell whether it is already freed. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Told when the object leaves every scope (kept, or returned from the outermost tidy). */
  escapeScopes?(): void;
}

interface ScopeFrame {
  tracked: Disposable[];
}

const stack: ScopeFrame[] = [];
const kept = new WeakSet<Disposable>();

/** Registers a newly created tensor with the innermost scope; false when no scope is open. */
export function track(t: Disposable): boolean {
  const top = stack[stack.length - 1];
  if (!top) return false;
  top.tracked.push(t);
  return true;
}

/** Exempts a tensor from every enclosing scope: it lives until `dispose()` (or GC). */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  t.escapeScopes?.();
  return t;
}

/** Reverses `keep`, so the innermost scope frees the tensor again. */
export function unkeep<T extends Disposable>(t: T): T {
  kept.delete(t);
  track(t);
  return t;
}

export function scopeDepth(): number {
  return stack.length;
}

function collect(value: unknown, out: Set<Disposable>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, seen);
  }
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Partial<Disposable>).dispose === 'function' && 'isDisposed' in v;
}

/**
 * Runs `fn` in a new scope. Tensors created inside are disposed when it returns, except those
 * reachable from its result (tensors, arrays, Maps and plain objects are searched), which move to
 * the enclosing scope. On an exception everything created inside is disposed.
 */
export function tidy<T>(fn: () => T): T {
  const frame: ScopeFrame = { tracked: [] };
  stack.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    release(frame, new Set());
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    release(frame, new Set());
    throw new Error('tidy(fn): fn returned a Promise; scopes are synchronous, use tidy inside the async code');
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors, new Set());
  release(frame, survivors);
  const parent = stack[stack.length - 1];
  for (const t of survivors) {
    if (kept.has(t)) continue;
    if (parent) parent.tracked.push(t);
    else t.escapeScopes?.();
  }
  return result;
}

function release(frame: ScopeFrame, survivors: Set<Disposable>): void {
  for (const t of frame.tracked) {
    if (t.isDisposed || survivors.has(t) || kept.has(t)) continue;
    t.dispose();
  }
  frame.tracked.length = 0;
}

/** Disposes every tensor found in `value` (a tensor, or arrays/objects/Maps holding tensors). */
export function dispose(value: unknown): void {
  const all = new Set<Disposable>();
  collect(value, all, new Set());
  for (const t of all) t.dispose();
}
