import { keep, noGrad, zerosLike, type Tensor } from '../../tensor/index.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** A group of parameters sharing hyper-parameters (e.g. no weight decay for biases and LayerNorm). */
export interface ParamGroup {
  params: Array<[string, Tensor]>;
  lr?: number;
  weightDecay?: number;
}

interface ParamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
}

/** The optimizer's state in a form that can be written to disk: tensors by name plus JSON. */
export interface OptimizerState {
  tensors: Map<string, Tensor>;
  meta: { type: 'adamw'; lr: number; steps: Record<string, number>; groups: Array<{ lr: number; weightDecay: number; names: string[] }> };
}

/**
 * AdamW with decoupled weight decay and bias correction, exactly PyTorch 1.13's single-tensor
 * algorithm (torch.optim.AdamW, amsgrad=False, maximize=False):
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * Parameters without a gradient are skipped, as in PyTorch.
 */
export class AdamW {
  readonly groups: Array<{ params: Array<[string, Tensor]>; lr: number; weightDecay: number }>;
  readonly betas: [number, number];
  readonly eps: number;
  private readonly state = new Map<string, ParamState>();

  constructor(params: Array<[string, Tensor]> | ParamGroup[], opts: AdamWOptions = {}) {
    const lr = opts.lr ?? 1e-3;
    const wd = opts.weightDecay ?? 1e-2;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    const groups: ParamGroup[] = params.length > 0 && !Array.isArray(params[0]) ? (params as ParamGroup[]) : [{ params: params as Array<[string, Tensor]> }];
    this.groups = groups.map((g) => ({ params: g.params, lr: g.lr ?? lr, weightDecay: g.weightDecay ?? wd }));
    const seen = new Set<string>();
    for (const g of this.groups) {
      for (const [n] of g.params) {
        if (seen.has(n)) throw new Error(`AdamW: parameter '${n}' appears in two groups`);
        seen.add(n);
      }
    }
  }

  /** Sets the learning rate of every group (schedulers call this each step). */
  setLr(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  get lr(): number {
    return this.groups[0]?.lr ?? 0;
  }

  step(): void {
    const [beta1, beta2] = this.betas;
    noGrad(() => {
      for (const g of this.groups) {
        for (const [name, p] of g.params) {
          const grad = p.grad;
          if (!grad) continue;
          let st = this.state.get(name);
          if (!st) {
            st = { step: 0, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)) };
            this.state.set(name, st);
          }
          st.step += 1;
          p.mul_(1 - g.lr * g.weightDecay);
          // lerp_ as PyTorch's AdamW does: one pass over the moment instead of mul_ then add_ (the embedding table's
          // moments are tens of MB, so each pass costs milliseconds a step), and PyTorch's exact arithmetic.
          st.expAvg.lerp_(grad, 1 - beta1);
          st.expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
          const bc1 = 1 - beta1 ** st.step;
          const bc2 = 1 - beta2 ** st.step;
          const stepSize = g.lr / bc1;
          const denom = st.expAvgSq.sqrt().div_(Math.sqrt(bc2)).add_(this.eps);
          p.addcdiv_(st.expAvg, denom, -stepSize);
          denom.dispose();
          grad.dispose();
        }
      }
    });
  }

  /** Drops the gradients of every parameter. */
  zeroGrad(): void {
    for (const g of this.groups) for (const [, p] of g.params) p.zeroGrad();
  }

  /** Moments by name (`<param>.exp_avg`, `<param>.exp_avg_sq`) and steps/groups as JSON. */
  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    for (const [name, st] of this.state) {
      tensors.set(`${name}.exp_avg`, st.expAvg);
      tensors.set(`${name}.exp_avg_sq`, st.expAvgSq);
      steps[name] = st.step;
    }
    return {
      tensors,
      meta: { type: 'adamw', lr: this.lr, steps, groups: this.groups.map((g) => ({ lr: g.lr, weightDecay: g.weightDecay, names: g.params.map(([n]) => n) })) },
    };
  }

  /** Restores moments and steps saved by `stateDict` (tensors are copied). */
  loadStateDict(s: OptimizerState): void {
    if (s.meta.type !== 'adamw') throw new Error(`optimizer state is of type '${String(s.meta.type)}', expected 'adamw'`);
    const byName = new Map<string, Tensor>();
    for (const g of this.groups) for (const [n, p] of g.params) byName.set(n, p);
    s.meta.groups.forEach((g, i) => {
      const mine = this.groups[i];
      if (!mine) throw new Error(`optimizer state has ${s.meta.groups.length} groups, this optimizer ${this.groups.length}`);
      mine.lr = g.lr;
      mine.weightDecay = g.weightDecay;
    });
    for (const st of this.state.values()) {
      st.expAvg.dispose();
      st.expAvgSq.dispose();
    }
    this.state.clear();
    for (const [name, step] of Object.entries(s.meta.steps)) {
      const p = byName.get(name);
      if (!p) throw new Error(`optimizer state has moments for '${name}', which is not a parameter of this optimizer`);
      const m = s.tensors.get(`${name}.exp_avg`);
      const v = s.tensors.get(`${name}.exp_avg_sq`);
      if (!m || !v) throw new Error(`optimizer state lacks the moments of '${name}'`);
      const ps = p.shape.join(',');
      if (m.shape.join(',') !== ps || v.shape.join(',') !== ps) {
        throw new Error(`optimizer state for '${name}' has shape [${m.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
      }
      const expAvg = keep(noGrad(() => m.to(p.device).clone()));
      const expAvgSq = keep(noGrad(() => v.to(p.device).clone()));
      this.state.set(name, { step, expAvg, expAvgSq });
    }
  }

  dispose(): void {
    for (const st of this.state.values()) {
      st.expAvg.dispose();
      st.expAvgSq.dispose();
    }
    this.state.clear();
  }
}

/**
 * Splits named parameters into the usual two groups: weight decay for weights, none for biases
 * and LayerNorm parameters (BERT's and Hugging Face's recipe).
 */
export function decayGroups(named: Array<[string, Tensor]>, weightDecay: number): ParamGroup[] {
  const noDecay = (n: string): boolean => n.endsWith('.bias') || /LayerNorm\.(weight|bias)$/.test(n) || /layer_norm/i.test(n);
  return [
    { params: named.filter(([n]) => !noDecay(n)), weightDecay },
    { params: named.filter(([n]) => noDecay(n)), weightDecay: 0 },
  ];
}
