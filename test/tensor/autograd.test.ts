// Autograd semantics, checked against hand-computed gradients and PyTorch's documented behaviour
// (accumulation, zero_grad(set_to_none=True), retain_graph, no_grad, detach, leaf tensors, retain_grad).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, tensor, ones, noGrad, enableGrad, isGradEnabled, backward, tidy, dispose,
} from '../../src/tensor/index.js';
import { assertClose } from './assertClose.js';

/** The leaf x = [1, -2, 3] with requires_grad. */
function leaf(): Tensor {
  return tensor([1, -2, 3], { requiresGrad: true });
}

function gradOf(t: Tensor): number[] {
  return tidy(() => {
    const g = t.grad;
    assert.ok(g, 'expected a gradient');
    return g.toNumbers();
  });
}

describe('autograd', () => {
  it('computes d/dx sum(x^2 * 3 + x) = 6x + 1', () => {
    tidy(() => {
      const x = leaf();
      x.mul(x).mul(3).add(x).sum().backward();
      assert.deepEqual(gradOf(x), [7, -11, 19]);
    });
  });

  it('accumulates gradients over two backward calls, and zeroGrad drops them', () => {
    tidy(() => {
      const x = leaf();
      x.mul(x).sum().backward();
      assert.deepEqual(gradOf(x), [2, -4, 6]);
      x.mul(x).sum().backward();
      assert.deepEqual(gradOf(x), [4, -8, 12]);
      x.zeroGrad();
      assert.equal(x.grad, null);
      x.mul(5).sum().backward();
      assert.deepEqual(gradOf(x), [5, 5, 5]);
    });
  });

  it('a gradient handle is independent of the gradient: disposing it keeps x.grad', () => {
    tidy(() => {
      const x = leaf();
      x.sum().backward();
      const g = x.grad!;
      g.dispose();
      assert.deepEqual(gradOf(x), [1, 1, 1]);
    });
  });

  it('the grad setter replaces the gradient, and backward accumulates into it', () => {
    tidy(() => {
      const x = leaf();
      x.grad = tensor([10, 20, 30]);
      x.sum().backward();
      assert.deepEqual(gradOf(x), [11, 21, 31]);
      x.grad = null;
      assert.equal(x.grad, null);
    });
  });

  it('retainGraph allows a second backward through the same graph; without it a clear error', () => {
    tidy(() => {
      const x = leaf();
      const y = x.exp().sum();
      y.backward(null, { retainGraph: true });
      y.backward();
      assertClose(gradOf(x), [1, -2, 3].map((v) => 2 * Math.exp(v)), 'grad after two passes');
      assert.throws(() => y.backward(), (e: Error) => {
        assert.match(e.message, /^backward: /);
        assert.match(e.message, /second time/);
        return true;
      });
    });
  });

  it('backward with an explicit gradient for a non-scalar output; without one an error', () => {
    tidy(() => {
      const x = leaf();
      const y = x.mul(x);
      y.backward(tensor([1, 0.5, -1]), { retainGraph: true });
      assert.deepEqual(gradOf(x), [2, -2, -6]);
      assert.throws(() => y.backward(), /backward: .*scalar outputs/);
    });
  });

  it('backward over several outputs at once sums their contributions', () => {
    tidy(() => {
      const x = leaf();
      backward([x.sum(), x.mul(x)], [null, tensor([1, 1, 1])]);
      assert.deepEqual(gradOf(x), [3, -3, 7]);
    });
  });

  it('noGrad records no graph: results do not require grad, and the mode is restored', () => {
    tidy(() => {
      const x = leaf();
      assert.equal(isGradEnabled(), true);
      const y = noGrad(() => {
        assert.equal(isGradEnabled(), false);
        return x.mul(2).add(1);
      });
      assert.equal(isGradEnabled(), true);
      assert.equal(y.requiresGrad, false);
      assert.equal(y.isLeaf, true);
      assert.deepEqual(y.toNumbers(), [3, -3, 7]);
      assert.throws(() => y.sum().backward(), /backward: .*does not require grad/);
      // An exception inside still restores the mode.
      assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
      assert.equal(isGradEnabled(), true);
    });
  });

  it('in-place updates under noGrad change a leaf without recording (the optimizer pattern)', () => {
    tidy(() => {
      const x = leaf();
      x.mul(x).sum().backward();
      noGrad(() => x.sub_(x.grad!, 0.5));
      assert.deepEqual(x.toNumbers(), [0, 0, 0]);
      assert.equal(x.isLeaf, true);
      assert.equal(x.requiresGrad, true);
      assert.throws(() => x.sub_(tensor([1, 1, 1])), /sub_.*leaf Variable that requires grad/);
    });
  });

  it('enableGrad turns recording back on inside noGrad', () => {
    tidy(() => {
      const x = leaf();
      const y = noGrad(() => enableGrad(() => x.mul(3)));
      assert.equal(y.requiresGrad, true);
      y.sum().backward();
      assert.deepEqual(gradOf(x), [3, 3, 3]);
    });
  });

  it('detach cuts the graph but shares storage', () => {
    tidy(() => {
      const x = leaf();
      const d = x.detach();
      assert.equal(d.requiresGrad, false);
      x.mul(d).sum().backward(); // d/dx (x * const) = const
      assert.deepEqual(gradOf(x), [1, -2, 3]);
      noGrad(() => d.mul_(10));
      assert.deepEqual(x.toNumbers(), [10, -20, 30]);
    });
  });

  it('leaf vs non-leaf: only leaves get .grad unless retainGrad is asked', () => {
    tidy(() => {
      const x = leaf();
      const h = x.mul(2);
      const r = x.mul(3).retainGrad();
      assert.equal(x.isLeaf, true);
      assert.equal(h.isLeaf, false);
      assert.equal(h.requiresGrad, true);
      h.mul(r).sum().backward();
      assert.equal(h.grad, null);
      assert.deepEqual(gradOf(r), [2, -4, 6]); // d/dr sum(h*r) = h
      assert.deepEqual(gradOf(x), [12, -24, 36]); // d/dx 6x^2 = 12x
      assert.throws(() => h.requiresGrad_(false), /requiresGrad_\(false\): tensor \[3\] is not a leaf/);
      const c = ones([2]);
      assert.equal(c.requiresGrad, false);
      assert.equal(c.isLeaf, true);
      c.requiresGrad_();
      assert.equal(c.requiresGrad, true);
    });
  });

  it('disposing intermediates before backward is safe: autograd keeps what it saved', () => {
    const x = leaf();
    const loss = tidy(() => {
      const a = x.tanh();
      const b = a.mul(a).exp();
      return b.sum();
    });
    loss.backward();
    const expected = [1, -2, 3].map((v) => {
      const t = Math.tanh(v);
      return Math.exp(t * t) * 2 * t * (1 - t * t);
    });
    assertClose(gradOf(x), expected, 'grad through freed intermediates');
    dispose([x, loss]);
  });
});
