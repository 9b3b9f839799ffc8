// Everything that is not an ATen operator: moving data between typed arrays and tensors,
// autograd entry points, handle lifetime, RNG, threads and devices.
#include "common.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#include <dlfcn.h>
#include <cstring>
#include <mutex>

namespace polyret {

static std::vector<int64_t> ToShape(const Napi::Value& v) {
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    double d = arr.Get(i).As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d))) {
      throw Napi::RangeError::New(v.Env(), "fromBuffer: shape entries must be non-negative integers");
    }
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

// fromBuffer(typedArray, shape, dtypeCode, device?) -> handle (copies the bytes)
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() && !info[0].IsArrayBuffer() && !info[0].IsBuffer()) {
    throw Napi::TypeError::New(env, "fromBuffer: expected a typed array");
  }
  const uint8_t* data;
  size_t bytes;
  if (info[0].IsTypedArray()) {
    auto ta = info[0].As<Napi::TypedArray>();
    data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    bytes = ta.ByteLength();
  } else {
    auto ab = info[0].As<Napi::ArrayBuffer>();
    data = static_cast<const uint8_t*>(ab.Data());
    bytes = ab.ByteLength();
  }
  auto shape = ToShape(info[1]);
  auto dtype = static_cast<c10::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  POLYRET_GUARD("fromBuffer", {
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t need = static_cast<size_t>(t.numel()) * t.element_size();
    if (need != bytes) {
      throw Napi::RangeError::New(env, "fromBuffer: shape " + DescribeTensor(t) + " needs " + std::to_string(need) +
                                           " bytes, the buffer has " + std::to_string(bytes));
    }
    if (need) std::memcpy(t.data_ptr(), data, need);
    if (info.Length() > 3 && info[3].IsString()) {
      std::string dev = info[3].As<Napi::String>().Utf8Value();
      bool pin = info.Length() > 4 && info[4].ToBoolean().Value();
      // Pinned (page-locked) host memory lets the copy to the GPU run asynchronously.
      if (dev != "cpu") t = pin ? t.pin_memory().to(c10::Device(dev), /*non_blocking=*/true) : t.to(c10::Device(dev));
    }
    return WrapTensor(env, t);
  })
}

// toBuffer(handle) -> ArrayBuffer holding the elements in row-major order
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& src = UnwrapTensor(info[0], "toBuffer");
  POLYRET_GUARD("toBuffer", {
    at::NoGradGuard ng;
    at::Tensor t = src.detach().to(at::kCPU).contiguous();
    size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
    return ab;
  })
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  at::Tensor& t = UnwrapTensor(info[0], "shape");
  auto sizes = t.sizes();
  Napi::Array out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return out;
}

static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(UnwrapTensor(info[0], "dtype").scalar_type()));
}

static Napi::Value Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), UnwrapTensor(info[0], "device").device().str());
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& t = UnwrapTensor(info[0], "item");
  POLYRET_GUARD("item", {
    if (t.numel() != 1) throw Napi::Error::New(env, "item: tensor " + DescribeTensor(t) + " has " + std::to_string(t.numel()) + " elements, expected 1");
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    return Napi::Number::New(env, s.toDouble());
  })
}

static Napi::Value Free(const Napi::CallbackInfo& info) {
  FreeHandle(info[0]);
  return info.Env().Undefined();
}

static Napi::Value IsLive(const Napi::CallbackInfo& info) {
  bool live = IsTensorHandle(info[0]);
  return Napi::Boolean::New(info.Env(), live);
}

static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), UnwrapTensor(info[0], "requiresGrad").requires_grad());
}

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& t = UnwrapTensor(info[0], "requiresGrad_");
  POLYRET_GUARD("requiresGrad_", { t.set_requires_grad(info[1].ToBoolean().Value()); })
  return env.Undefined();
}

static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), UnwrapTensor(info[0], "isLeaf").is_leaf());
}

static Napi::Value Grad(const Napi::CallbackInfo& info) {
  return WrapTensor(info.Env(), UnwrapTensor(info[0], "grad").grad());
}

static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& t = UnwrapTensor(info[0], "setGrad");
  POLYRET_GUARD("setGrad", {
    if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad() = at::Tensor();
    else t.mutable_grad() = UnwrapTensor(info[1], "setGrad");
  })
  return env.Undefined();
}

static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& t = UnwrapTensor(info[0], "retainGrad");
  POLYRET_GUARD("retainGrad", { t.retain_grad(); })
  return env.Undefined();
}

// backward(tensors[], grads[] (null entries allowed), retainGraph)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array ts = info[0].As<Napi::Array>();
  Napi::Array gs = info[1].As<Napi::Array>();
  bool retain = info[2].ToBoolean().Value();
  std::vector<at::Tensor> outputs, grads;
  for (uint32_t i = 0; i < ts.Length(); ++i) {
    outputs.push_back(UnwrapTensor(ts.Get(i), "backward"));
    Napi::Value g = i < gs.Length() ? gs.Get(i) : env.Null();
    grads.push_back(g.IsNull() || g.IsUndefined() ? at::Tensor() : UnwrapTensor(g, "backward"));
  }
  POLYRET_GUARD("backward", { torch::autograd::backward(outputs, grads, retain, false); })
  return env.Undefined();
}

static Napi::Value GradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), prev);
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  POLYRET_GUARD("manualSeed", {
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
  })
  return env.Undefined();
}

// The CPU generator's full state as a uint8 tensor, for exact resume of dropout and randn.
static Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  POLYRET_GUARD("getRngState", {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return WrapTensor(env, gen.get_state());
  })
}

static Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& s = UnwrapTensor(info[0], "setRngState");
  POLYRET_GUARD("setRngState", {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s);
  })
  return env.Undefined();
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = info[0].As<Napi::Number>().Int32Value();
  POLYRET_GUARD("setNumThreads", { at::set_num_threads(n); })
  return env.Undefined();
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// OpenBLAS keeps its own thread pool; libtorch's set_num_threads does not reach it when the
// BLAS is picked at run time (Debian's alternatives), so it is set directly when present.
static Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  using SetFn = void (*)(int);
  auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn) fn(n);
  return Napi::Boolean::New(info.Env(), fn != nullptr);
}

static Napi::Value GetBlasThreads(const Napi::CallbackInfo& info) {
  using GetFn = int (*)();
  auto fn = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return Napi::Number::New(info.Env(), fn ? fn() : -1);
}

static Napi::Value BlasConfig(const Napi::CallbackInfo& info) {
  using CfgFn = char* (*)();
  auto fn = reinterpret_cast<CfgFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  return fn ? Napi::String::New(info.Env(), fn()) : info.Env().Null();
}

static Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

static Napi::Value ParallelInfo(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::get_parallel_info());
}

static Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

static Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  POLYRET_GUARD("cudaSynchronize", {
    if (torch::cuda::is_available()) torch::cuda::synchronize();
  })
  return env.Undefined();
}

// Autocast (mixed precision) for one device type: returns the previous [enabled, dtype] so the
// TypeScript `autocast(fn)` can restore it. PyTorch 2.4 replaced the per-device functions with
// ones taking a device type; both are guarded here.
static Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dev = info[0].As<Napi::String>().Utf8Value();
  bool on = info[1].ToBoolean().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  if (dev != "cpu" && dev != "cuda") throw Napi::TypeError::New(env, "autocast: device must be 'cpu' or 'cuda', got '" + dev + "'");
  bool prevOn;
  at::ScalarType prevType;
  POLYRET_GUARD("autocast", {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    c10::DeviceType dt = dev == "cpu" ? c10::DeviceType::CPU : c10::DeviceType::CUDA;
    prevOn = at::autocast::is_autocast_enabled(dt);
    prevType = at::autocast::get_autocast_dtype(dt);
    at::autocast::set_autocast_dtype(dt, dtype);
    at::autocast::set_autocast_enabled(dt, on);
#else
    if (dev == "cpu") {
      prevOn = at::autocast::is_cpu_enabled();
      prevType = at::autocast::get_autocast_cpu_dtype();
      at::autocast::set_autocast_cpu_dtype(dtype);
      at::autocast::set_cpu_enabled(on);
    } else {
      prevOn = at::autocast::is_enabled();
      prevType = at::autocast::get_autocast_gpu_dtype();
      at::autocast::set_autocast_gpu_dtype(dtype);
      at::autocast::set_enabled(on);
    }
#endif
  })
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Boolean::New(env, prevOn));
  out.Set(1u, Napi::Number::New(env, static_cast<int>(prevType)));
  return out;
}

// Entering/leaving an autocast region: casts are cached while any region is open, as in PyTorch.
static Napi::Value AutocastNesting(const Napi::CallbackInfo& info) {
  if (info[0].ToBoolean().Value()) return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
  int n = at::autocast::decrement_nesting();
  if (n == 0) at::autocast::clear_cache();
  return Napi::Number::New(info.Env(), n);
}

static Napi::Value LiveHandles(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(LiveHandleCount()));
}

void InitRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("liveHandles", Napi::Function::New(env, LiveHandles));
  exports.Set("setAutocast", Napi::Function::New(env, SetAutocast));
  exports.Set("autocastNesting", Napi::Function::New(env, AutocastNesting));
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer));
  exports.Set("shape", Napi::Function::New(env, Shape));
  exports.Set("dtype", Napi::Function::New(env, Dtype));
  exports.Set("device", Napi::Function::New(env, Device));
  exports.Set("item", Napi::Function::New(env, Item));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("isLive", Napi::Function::New(env, IsLive));
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad));
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad));
  exports.Set("retainGrad", Napi::Function::New(env, RetainGrad));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("gradEnabled", Napi::Function::New(env, GradEnabled));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("getRngState", Napi::Function::New(env, GetRngState));
  exports.Set("setRngState", Napi::Function::New(env, SetRngState));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("setBlasThreads", Napi::Function::New(env, SetBlasThreads));
  exports.Set("getBlasThreads", Napi::Function::New(env, GetBlasThreads));
  exports.Set("blasConfig", Napi::Function::New(env, BlasConfig));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("parallelInfo", Napi::Function::New(env, ParallelInfo));
  exports.Set("cudaAvailable", Napi::Function::New(env, CudaAvailable));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCount));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize));
}

}  // namespace polyret
