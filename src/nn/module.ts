import { isFloating, keep, noGrad, tidy, type Tensor } from '../tensor/index.js';

/** A named parameter tensor, e.g. ["encoder.layer.0.attention.self.query.weight", t]. */
export type NamedTensor = [string, Tensor];

/** Result of loading a state dict: what the module had no tensor for, and what the source lacked. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

/**
 * Base of all layers. Parameters and sub-modules are registered under names so that
 * `namedParameters()` yields Hugging Face's dotted names (`encoder.layer.0.output.dense.weight`),
 * which makes loading a checkpoint a name-for-name copy.
 */
export class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter; it is kept out of every scope and requires grad. */
  protected param(name: string, t: Tensor): Tensor {
    if (this.params.has(name)) throw new Error(`parameter '${name}' registered twice`);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.params.set(name, t);
    return t;
  }

  /** Registers a non-trainable tensor that belongs to the state dict (e.g. position ids). */
  protected buffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.buffers.set(name, t);
    return t;
  }

  protected module<M extends Module>(name: string, m: M): M {
    if (this.children.has(name)) throw new Error(`sub-module '${name}' registered twice`);
    this.children.set(name, m);
    return m;
  }

  /** A registered parameter by its local name (looked up each time, so moves and loads are seen). */
  protected getParam(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter '${name}'`);
    return t;
  }

  protected getBuffer(name: string): Tensor {
    const t = this.buffers.get(name);
    if (!t) throw new Error(`no buffer '${name}'`);
    return t;
  }

  namedParameters(prefix = ''): NamedTensor[] {
    const out: NamedTensor[] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ''): NamedTensor[] {
    const out: NamedTensor[] = [];
    for (const [n, t] of this.buffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Parameters and buffers by dotted name, in registration order (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies tensors by name into this module's parameters and buffers, checking shapes, dtypes and values.
   * Mis-shaped names always throw, and so do a floating-point tensor given as an integer one (or the reverse: a
   * header that says I32 for float data would otherwise be cast silently) and non-finite weights (named by
   * tensor, so a NaN checkpoint is refused at load instead of giving all-NaN embeddings); with `strict`, missing
   * or unexpected names throw too.
   */
  loadStateDict(source: Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadReport {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing: string[] = [];
    const misShaped: string[] = [];
    const badType: string[] = [];
    const nonFinite: string[] = [];
    for (const [name, t] of own) {
      const src = source.get(name);
      if (!src) {
        missing.push(name);
        continue;
      }
      const a = t.shape;
      const b = src.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) misShaped.push(`${name}: model [${a.join(', ')}] vs checkpoint [${b.join(', ')}]`);
      else if (isFloating(t.dtype) !== isFloating(src.dtype)) badType.push(`${name}: the model needs ${isFloating(t.dtype) ? 'a floating-point' : 'an integer'} ${t.dtype} tensor, the checkpoint has ${src.dtype}`);
      else if (isFloating(src.dtype)) {
        const bad = tidy(() => src.isfinite().logicalNot().sum().item());
        if (bad > 0) nonFinite.push(`${name}: ${bad} of ${src.numel} values are NaN or infinite`);
      }
    }
    const unexpected = [...source.keys()].filter((k) => !own.has(k));
    if (misShaped.length) throw new Error(`state dict shape mismatch:\n  ${misShaped.join('\n  ')}`);
    if (badType.length) throw new Error(`state dict dtype mismatch:\n  ${badType.join('\n  ')}`);
    if (nonFinite.length) throw new Error(`non-finite weights:\n  ${nonFinite.slice(0, 8).join('\n  ')}${nonFinite.length > 8 ? `\n  ... (${nonFinite.length} tensors)` : ''}`);
    if (strict && (missing.length || unexpected.length)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected: ${unexpected.join(', ')}`);
      throw new Error(`state dict does not match the model (${parts.join('; ')})`);
    }
    noGrad(() => {
      for (const [name, t] of own) {
        const src = source.get(name);
        if (src) t.copy_(src);
      }
    });
    return { missing, unexpected };
  }

  /** Training mode (dropout on) for this module and all sub-modules. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Moves parameters and buffers to a device (or dtype), keeping names and requires-grad. */
  to(target: string): this {
    for (const [, m] of this.namedModules()) m.moveOwn(target);
    return this;
  }

  private moveOwn(target: string): void {
    for (const [name, t] of [...this.params]) {
      // A fresh leaf on the target device; the old tensor is released.
      const moved = keep(noGrad(() => t.to(target).detach()));
      moved.requiresGrad_(true);
      t.dispose();
      this.params.set(name, moved);
    }
    for (const [name, t] of [...this.buffers]) {
      const moved = keep(noGrad(() => t.to(target)));
      t.dispose();
      this.buffers.set(name, moved);
    }
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m.params.values()) t.dispose();
      for (const t of m.buffers.values()) t.dispose();
    }
  }
}

/** Numbered sub-modules (`encoder.layer.0`, `encoder.layer.1`, ...), like torch.nn.ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.module(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }
}

/** Named sub-modules with no computation of their own (a level in a dotted name, like `embeddings`). */
export class ModuleGroup extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.module(name, m);
  }
}
