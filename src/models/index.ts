/** Hugging Face encoders (BERT, XLM-RoBERTa, LaBSE-style sentence-transformers) on polyret's tensor engine. */
export * from './config.js';
export { BertEmbeddings } from './embeddings.js';
export { BertModel, BertPooler, type EncoderInputs, type EncoderOutput, type EncoderModelOptions } from './bert.js';
export { XLMRobertaModel, createPositionIdsFromInputIds, createEncoderModel } from './xlmRoberta.js';
export * from './pooling.js';
export * from './dense.js';
export * from './sentenceTransformer.js';
export * from './dualEncoder.js';
export { loadSentenceEncoder, loadPretrained, readWeights, adaptCheckpointNames, buildModelFromWeights, TOKENIZER_FILES, type LoadOptions } from './load.js';
export { saveSentenceEncoder } from './save.js';
export { createEncoderFromScratch, type FromScratchOptions } from './fromScratch.js';
export { HfTokenizer } from './tokenizer.js';
export { resolveModel } from './hub.js';
