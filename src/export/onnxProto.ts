/**
 * The part of ONNX's protobuf schema (onnx/onnx.proto, Apache-2.0, field numbers unchanged) that an inference
 * graph of dense tensors needs: model, graph, node, attribute, tensor, value info and tensor types. Encoding goes
 * through protobufjs, so the bytes are standard protobuf wire format that onnxruntime, onnx and transformers.js
 * read. Fields polyret never writes (sparse tensors, functions, training info, ...) are left out of the schema;
 * a decoder built from it skips them as unknown fields.
 */
import protobuf from 'protobufjs';

const ONNX_PROTO_SUBSET = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  optional string name = 1;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** TensorProto.DataType values polyret writes. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values polyret writes. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: OnnxDataTypeCode;
  /** Little-endian element bytes (ONNX raw_data). */
  rawData: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  type: (typeof OnnxAttributeType)[keyof typeof OnnxAttributeType];
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
  domain?: string;
}

/** A dimension: a fixed size, or a named dynamic axis (dim_param). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataTypeCode;
  shape: OnnxDim[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: Record<string, string>;
}

let root: protobuf.Root | null = null;

function modelType(): protobuf.Type {
  root ??= protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
  return root.lookupType('onnx.ModelProto');
}

function tensorMessage(t: OnnxTensor): Record<string, unknown> {
  return { name: t.name, dims: t.dims, data_type: t.dataType, raw_data: t.rawData };
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attributeMessage(a: OnnxAttribute): Record<string, unknown> {
  const m: Record<string, unknown> = { name: a.name, type: a.type };
  if (a.f !== undefined) m.f = a.f;
  if (a.i !== undefined) m.i = a.i;
  if (a.s !== undefined) m.s = a.s;
  if (a.t !== undefined) m.t = tensorMessage(a.t);
  if (a.floats !== undefined) m.floats = a.floats;
  if (a.ints !== undefined) m.ints = a.ints;
  return m;
}

/** Serialises a model to ONNX protobuf bytes (what `onnx/model.onnx` holds). */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const type = modelType();
  const msg = {
    ir_version: m.irVersion,
    opset_import: m.opsetImport,
    producer_name: m.producerName,
    producer_version: m.producerVersion,
    doc_string: m.docString,
    graph: {
      name: m.graph.name,
      node: m.graph.node.map((n) => ({
        op_type: n.opType, name: n.name, input: n.input, output: n.output, domain: n.domain, attribute: n.attribute.map(attributeMessage),
      })),
      initializer: m.graph.initializer.map(tensorMessage),
      input: m.graph.input.map(valueInfoMessage),
      output: m.graph.output.map(valueInfoMessage),
    },
    metadata_props: Object.entries(m.metadataProps ?? {}).map(([key, value]) => ({ key, value })),
  };
  const problem = type.verify(msg);
  if (problem) throw new Error(`ONNX model does not fit the schema: ${problem}`);
  return type.encode(type.fromObject(msg)).finish();
}

/** A decoded model as plain objects (onnx.proto field names), for inspection and tests. */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelType();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Buffer, defaults: false, arrays: true, oneofs: true }) as Record<string, unknown>;
}
