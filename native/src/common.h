// Shared declarations of the polyret addon: the tensor handle, conversions between
// JavaScript values and libtorch IValues, and error translation.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/version.h>
#include <string>

namespace polyret {

// Tensors owned by JavaScript live in a slot table; JS holds a plain number, kHandleBase + slot.
// Plain numbers cost no GC object or finalizer per tensor (N-API finalizers run only after a GC,
// so per-tensor externals pile up between collections), and `dispose()` frees the slot at once.
// The offset keeps a handle from being mistaken for a small scalar passed where a tensor belongs.
constexpr double kHandleBase = 17592186044416.0;  // 2^44

// Stores a defined tensor and returns its handle; an undefined tensor becomes null.
Napi::Value WrapTensor(Napi::Env env, at::Tensor t);
// Unwraps a handle; throws a JS error naming `what` when the value is not a live tensor.
at::Tensor& UnwrapTensor(const Napi::Value& v, const char* what);
bool IsTensorHandle(const Napi::Value& v);
// The live tensor of a handle, or nullptr (for error descriptions).
const at::Tensor* PeekTensor(const Napi::Value& v);
// Releases a handle's tensor and frees its slot; a no-op for a stale handle.
void FreeHandle(const Napi::Value& v);
size_t LiveHandleCount();

// Converts a JS value to the IValue that an operator argument of type `type` expects.
c10::IValue ToIValue(const Napi::Value& v, const c10::TypePtr& type, const std::string& argName);
// Converts an operator result to JS: tensors to handles, lists/tuples to arrays, scalars to numbers.
Napi::Value FromIValue(Napi::Env env, const c10::IValue& v);

std::string DescribeTensor(const at::Tensor& t);

void InitOps(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);
void InitDist(Napi::Env env, Napi::Object exports);

}  // namespace polyret

// Runs `body`, turning libtorch and C++ exceptions into JS errors so bad input never crashes Node.
#define POLYRET_GUARD(prefix, body)                                                  \
  try {                                                                              \
    body                                                                             \
  } catch (const Napi::Error&) {                                                     \
    throw;                                                                           \
  } catch (const c10::Error& e) {                                                    \
    throw Napi::Error::New(env, std::string(prefix) + ": " + e.what_without_backtrace()); \
  } catch (const std::exception& e) {                                                \
    throw Napi::Error::New(env, std::string(prefix) + ": " + e.what());              \
  }
