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

// A tensor owned by JavaScript. `dispose()` releases the libtorch reference at once; the
// holder itself is freed by the GC finalizer (which also releases the tensor if JS never did).
constexpr uint64_t kBoxMagic = 0x706f6c7972657431ULL;  // "polyret1"
struct TensorBox {
  uint64_t magic;
  at::Tensor t;
};

// Wraps a defined tensor in a new JS external; an undefined tensor becomes null.
Napi::Value WrapTensor(Napi::Env env, at::Tensor t);
// Unwraps a handle; throws a JS error naming `what` when the value is not a live tensor.
at::Tensor& UnwrapTensor(const Napi::Value& v, const char* what);
bool IsTensorHandle(const Napi::Value& v);
// Tensors released by the GC finalizer rather than by dispose().
uint64_t LeakedCount();

// Converts a JS value to the IValue that an operator argument of type `type` expects.
c10::IValue ToIValue(const Napi::Value& v, const c10::TypePtr& type, const std::string& argName);
// Converts an operator result to JS: tensors to handles, lists/tuples to arrays, scalars to numbers.
Napi::Value FromIValue(Napi::Env env, const c10::IValue& v);

std::string DescribeTensor(const at::Tensor& t);

void InitOps(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);

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
