/** Exporting polyret models for deployment: ONNX graphs written from TypeScript (no Python). */
export { exportOnnx, type ExportOptions, type ExportResult } from './exportOnnx.js';
export { encoderGraph, type EncoderGraph, type EncoderGraphOptions, BATCH_AXIS, SEQUENCE_AXIS } from './encoderGraph.js';
export { GraphBuilder, DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, irVersionFor } from './graphBuilder.js';
export { encodeOnnxModel, decodeOnnxModel, type OnnxModel, type OnnxGraph } from './onnxProto.js';
export { quantizeWeightInt8 } from './quantizeInt8.js';
