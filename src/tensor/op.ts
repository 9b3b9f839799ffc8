import { HANDLE_BASE, native, type NativeHandle, type OpArg, type OpResult } from './native.js';

/**
 * One ATen operator, resolved by schema name on first use and called through libtorch's
 * dispatcher. Arguments follow the schema's order (`opSchema` shows it); `undefined` takes the
 * schema's default. Binding a new operator is one `defineOp` line.
 */
export class Op {
  private id = -1;

  constructor(readonly name: string, readonly overload = '') {}

  private resolve(): number {
    if (this.id < 0) this.id = native.opHandle(this.name, this.overload);
    return this.id;
  }

  /** Calls the operator and returns its result (handles for tensors). */
  call(args: OpArg[]): OpResult {
    return native.call(this.resolve(), args, true) as OpResult;
  }

  /** Calls the operator for its effect only (in-place ops), creating no result handle. */
  run(args: OpArg[]): void {
    native.call(this.resolve(), args, false);
  }

  /** The operator's schema, e.g. `aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor`. */
  schema(): string {
    return native.opSchema(this.resolve());
  }
}

export function defineOp(name: string, overload = ''): Op {
  return new Op(name, overload);
}

export function isHandle(r: OpResult | undefined): r is NativeHandle {
  return typeof r === 'number' && r >= HANDLE_BASE;
}
