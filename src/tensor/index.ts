/** polyret's tensor engine: libtorch tensors with autograd, scopes and I/O, from TypeScript. */
export { Tensor, fromArray, leakedTensorCount, liveTensorCount, callT, callTs, callVoid, type Device, type Arg } from './tensor.js';
export { tensor, zeros, ones, full, empty, zerosLike, onesLike, fullLike, arange, eye, randn, rand, randint, randperm, type CreateOptions } from './creation.js';
export * from './functional.js';
export { noGrad, enableGrad, isGradEnabled, backward, autocast } from './autograd.js';
export { tidy, keep, unkeep, dispose, scopeDepth } from './scope.js';
export { manualSeed, getRngState, setRngState, setNumThreads, getNumThreads, computeInfo, cudaAvailable, cudaSynchronize, torchVersion } from './runtime.js';
export { defineOp, Op } from './op.js';
export { aten } from './aten.js';
export { DTYPE_CODE, DTYPE_BYTES, isFloating, type DType } from './scalarType.js';
export { saveTensors, loadTensors, toSafetensorsTensor, fromSafetensorsTensor } from './io.js';
export { cpuBf16Support, parseBf16Support, NATIVE_BF16_FLAGS, type Bf16Support } from './cpuFeatures.js';
export { bf16Products, setBf16Products, type Bf16ProductsSetting } from './bf16Products.js';
export { chooseOpenblasCore, applyOpenblasCore, type OpenblasCoreChoice } from './openblasCore.js';
export { withPrecision, bf16Note, bf16Accumulation, isPrecision, PRECISIONS, type Precision } from './precision.js';
export { measureBf16Speed, type Bf16Speed } from './bf16Speed.js';
