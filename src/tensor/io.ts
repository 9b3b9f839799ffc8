import { native } from './native.js';
import { fromArray, Tensor } from './tensor.js';
import { DTYPE_CODE, type DType } from './scalarType.js';
import {
  SafetensorsError, withSafetensorsFile, writeSafetensors, type SafetensorsDtype, type SafetensorsTensor,
} from './safetensors.js';

const TO_ST: Readonly<Record<DType, SafetensorsDtype>> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16',
  int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};
const FROM_ST = new Map<string, DType>(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));

/** The safetensors record of a tensor (bytes copied to the CPU, row-major). */
export function toSafetensorsTensor(name: string, t: Tensor): SafetensorsTensor {
  return { name, dtype: TO_ST[t.dtype], shape: t.shape, data: new Uint8Array(native.toBuffer(t.handle)) };
}

/** A tensor from a safetensors record (bytes copied into libtorch). */
export function fromSafetensorsTensor(st: SafetensorsTensor, source: string, device?: string): Tensor {
  const dtype = FROM_ST.get(st.dtype);
  if (!dtype) throw new SafetensorsError(source, `tensor '${st.name}' has dtype ${st.dtype}, which polyret's tensors do not support`);
  return new Tensor(native.fromBuffer(st.data, st.shape, DTYPE_CODE[dtype], device));
}

/** Writes named tensors to a safetensors file (atomically). */
export function saveTensors(path: string, tensors: Map<string, Tensor> | Array<[string, Tensor]>, metadata?: Record<string, string>): void {
  const list = [...tensors].map(([n, t]) => toSafetensorsTensor(n, t));
  writeSafetensors(path, list, metadata);
}

/**
 * Reads a safetensors file into tensors, one tensor at a time (positioned reads), optionally onto
 * a device. `names` restricts which tensors are read.
 */
export function loadTensors(path: string, opts: { device?: string; names?: string[] } = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  return withSafetensorsFile(path, (f) => {
    const out = new Map<string, Tensor>();
    for (const name of opts.names ?? f.names()) {
      const info = f.info(name);
      out.set(name, fromSafetensorsTensor({ name, dtype: info.dtype, shape: info.shape, data: f.read(name) }, path, opts.device));
    }
    return { tensors: out, metadata: { ...f.metadata } };
  });
}


