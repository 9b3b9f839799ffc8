export { Module, ModuleList, ModuleGroup, type NamedTensor, type LoadReport } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding } from './embedding.js';
export { LayerNorm } from './layerNorm.js';
export { Dropout } from './dropout.js';
export { MultiHeadSelfAttention, additiveAttentionMask, FLOAT32_MIN } from './attention.js';
export { TransformerEncoderLayer, ResidualOutput, type TransformerLayerConfig } from './transformerLayer.js';
export { activation } from './activation.js';
export * as init from './init.js';
