import { tensor, type Tensor } from '../../tensor/index.js';
import { Module } from '../../nn/index.js';

/**
 * The similarity scale 1/τ of InfoNCE. Fixed: a number. Learned: a parameter `logit_scale`
 * = log(1/τ) (CLIP's parametrisation: the optimiser works in log space so τ stays positive),
 * clamped at `maxScale` (CLIP's 100) so the logits cannot blow up.
 */
export class Temperature extends Module {
  private readonly fixedScale: number | null;

  constructor(initial: number, readonly learned: boolean, readonly maxScale = 100, device?: string) {
    super();
    if (!(initial > 0 && Number.isFinite(initial))) throw new RangeError(`temperature must be a positive number, got ${initial}`);
    this.fixedScale = learned ? null : 1 / initial;
    if (learned) this.param('logit_scale', tensor(Math.log(1 / initial), { device }));
  }

  /** 1/τ: a number when fixed, a scalar tensor (with grad) when learned. */
  scale(): number | Tensor {
    if (this.fixedScale !== null) return this.fixedScale;
    return this.getParam('logit_scale').exp().clamp(null, this.maxScale);
  }

  /** The current temperature τ, for logs. */
  value(): number {
    if (this.fixedScale !== null) return 1 / this.fixedScale;
    const s = Math.min(Math.exp(this.getParam('logit_scale').item()), this.maxScale);
    return 1 / s;
  }
}
