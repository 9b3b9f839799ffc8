/**
 * Symmetric int8 weight quantization per output channel, for dynamic int8 inference (activations are quantized
 * to uint8 at run time by DynamicQuantizeLinear). A column o of Wᵀ [in, out] gets scale max|w[:, o]| / 127 and
 * zero point 0, so MatMulInteger needs no weight zero point and q·scale reproduces w within scale / 2.
 */
export interface QuantizedWeight {
  /** int8 [in, out], row-major like the float Wᵀ. */
  values: Int8Array;
  /** float32 [out]: w ≈ values · scales[o]. */
  scales: Float32Array;
}

export function quantizeWeightInt8(wt: Float32Array, inF: number, out: number): QuantizedWeight {
  if (wt.length !== inF * out) throw new Error(`quantizeWeightInt8: ${wt.length} values for [${inF}, ${out}]`);
  const scales = new Float32Array(out);
  for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) scales[o] = Math.max(scales[o]!, Math.abs(wt[i * out + o]!));
  // An all-zero column keeps scale 1 (any scale reproduces zeros; 0 would divide by zero).
  for (let o = 0; o < out; o++) scales[o] = scales[o]! > 0 ? scales[o]! / 127 : 1;
  const values = new Int8Array(wt.length);
  for (let i = 0; i < inF; i++) {
    for (let o = 0; o < out; o++) {
      const q = Math.round(wt[i * out + o]! / scales[o]!);
      values[i * out + o] = Math.max(-127, Math.min(127, q));
    }
  }
  return { values, scales };
}
