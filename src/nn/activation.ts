import type { Tensor } from '../tensor/index.js';

/** Activation functions by Hugging Face's `hidden_act` names. */
export type ActivationName = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'relu' | 'tanh' | 'silu' | 'swish';

export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return (x) => x.gelu('none');
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return (x) => x.gelu('tanh');
    case 'relu':
      return (x) => x.relu();
    case 'tanh':
      return (x) => x.tanh();
    case 'silu':
    case 'swish':
      return (x) => {
        const s = x.sigmoid();
        const out = x.mul(s);
        s.dispose();
        return out;
      };
    default:
      throw new Error(`unsupported activation '${name}' (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, silu)`);
  }
}
