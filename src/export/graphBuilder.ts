/**
 * Builds an ONNX graph node by node: unique value names, initializers from typed arrays, cached constants, and
 * the few operators whose signature changed across opsets (reductions and Unsqueeze take their axes as an input
 * from opset 13 or 18 on) written the way the target opset expects.
 */
import { endianness } from 'node:os';
import { OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxDataTypeCode, type OnnxDim, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnxProto.js';

/** Opsets the exporter writes: 14 is the oldest the issue allows; 21 the newest checked with onnxruntime 1.30. */
export const MIN_OPSET = 14;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 17;

/** The IR version that goes with an opset (onnx/helper.py's VERSION_TABLE). */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Attribute constructors: ONNX attributes are typed, so an int 1 and a float 1 are different things. */
export const attr = {
  int: (v: number) => ({ type: OnnxAttributeType.INT, i: v }),
  float: (v: number) => ({ type: OnnxAttributeType.FLOAT, f: v }),
  ints: (v: number[]) => ({ type: OnnxAttributeType.INTS, ints: v }),
  string: (v: string) => ({ type: OnnxAttributeType.STRING, s: Buffer.from(v, 'utf8') }),
};
export type AttrValue = Omit<OnnxAttribute, 'name'>;

type ElementArray = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

function dataTypeOf(a: ElementArray): OnnxDataTypeCode {
  if (a instanceof Float32Array) return OnnxDataType.FLOAT;
  if (a instanceof BigInt64Array) return OnnxDataType.INT64;
  if (a instanceof Int32Array) return OnnxDataType.INT32;
  if (a instanceof Int8Array) return OnnxDataType.INT8;
  return OnnxDataType.UINT8;
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly inits: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private initBytes = 0;

  constructor(readonly opset: number) {
    if (endianness() !== 'LE') throw new Error('ONNX export: raw tensor data is little-endian; this machine is big-endian');
  }

  /** Bytes of initializer data so far. */
  get initializerBytes(): number {
    return this.initBytes;
  }

  private unique(hint: string): string {
    let name = hint;
    for (let k = 1; this.used.has(name); k++) name = `${hint}_${k}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataTypeCode, shape: OnnxDim[]): string {
    if (this.used.has(name)) throw new Error(`graph input name '${name}' already used`);
    this.used.add(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares `value` a graph output called `name` (through an Identity when the value has another name). */
  output(value: string, name: string, elemType: OnnxDataTypeCode, shape: OnnxDim[]): void {
    let v = value;
    if (value !== name) {
      if (this.used.has(name)) throw new Error(`graph output name '${name}' already used`);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', name: `${name}_identity`, input: [value], output: [name], attribute: [] });
      v = name;
    }
    this.outputs.push({ name: v, elemType, shape });
  }

  /** A weight or constant tensor stored in the graph. */
  initializer(hint: string, data: ElementArray, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`initializer ${hint}: ${data.length} elements for dims [${dims.join(', ')}]`);
    const name = this.unique(hint);
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inits.push({ name, dims, dataType: dataTypeOf(data), rawData });
    this.initBytes += rawData.byteLength;
    return name;
  }

  /** A float32 constant (scalar when dims is []), shared between uses. */
  constFloat(values: number | number[], dims: number[] = []): string {
    const vals = typeof values === 'number' ? [values] : values;
    const key = `f:${dims.join('x')}:${vals.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_f_${this.constants.size}`, Float32Array.from(vals), dims);
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 constant (scalar when dims is []), shared between uses. */
  constInt64(values: number | number[], dims?: number[]): string {
    const vals = typeof values === 'number' ? [values] : values;
    const d = dims ?? (typeof values === 'number' ? [] : [vals.length]);
    const key = `i:${d.join('x')}:${vals.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_i_${this.constants.size}`, BigInt64Array.from(vals, (v) => BigInt(v)), d);
      this.constants.set(key, name);
    }
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint?: string): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0]!;
  }

  /** Adds a node with `n` outputs. An empty input name stands for an omitted optional input. */
  opN(opType: string, inputs: string[], n: number, attrs: Record<string, AttrValue> = {}, hint?: string, domain?: string): string[] {
    const base = hint ?? opType;
    const outputs = Array.from({ length: n }, (_, k) => this.unique(n === 1 ? base : `${base}_${k}`));
    this.nodes.push({
      opType,
      name: this.unique(`${base}_node`),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([name, a]) => ({ name, ...a })),
      ...(domain ? { domain } : {}),
    });
    return outputs;
  }

  /** ReduceSum / ReduceMean / ReduceMax / ReduceL2 over `axes`, with the axes where this opset wants them. */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceL2', x: string, axes: number[], keepdims: boolean, hint?: string): string {
    // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const k = { keepdims: attr.int(keepdims ? 1 : 0) };
    return axesAsInput ? this.op(op, [x, this.constInt64(axes)], k, hint) : this.op(op, [x], { ...k, axes: attr.ints(axes) }, hint);
  }

  /** Unsqueeze (axes are an input from opset 13 on, which every supported opset is). */
  unsqueeze(x: string, axes: number[], hint?: string): string {
    return this.op('Unsqueeze', [x, this.constInt64(axes)], {}, hint);
  }

  build(name: string): OnnxGraph {
    return { name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs };
  }
}
