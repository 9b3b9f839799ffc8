// Generic operator calls: any ATen operator is reached by its schema name through the
// dispatcher (boxed), so binding a new op is one line of TypeScript. Autograd, CPU/CUDA
// kernels and type promotion are libtorch's own.
#include "common.h"

#include <sstream>
#include <vector>

namespace polyret {

static std::vector<c10::OperatorHandle> g_ops;

// opHandle(name, overload) -> id
static Napi::Value OpHandle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle.has_value()) {
    throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload) +
                                    " (not in this libtorch " + TORCH_VERSION + ")");
  }
  g_ops.push_back(*handle);
  return Napi::Number::New(env, static_cast<double>(g_ops.size() - 1));
}

static const c10::OperatorHandle& GetOp(const Napi::CallbackInfo& info) {
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id >= g_ops.size()) throw Napi::RangeError::New(info.Env(), "bad operator id");
  return g_ops[id];
}

static Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  os << GetOp(info).schema();
  return Napi::String::New(info.Env(), os.str());
}

static std::string DescribeArgs(const c10::FunctionSchema& schema, const torch::jit::Stack& stack) {
  std::ostringstream os;
  bool first = true;
  for (size_t i = 0; i < stack.size() && i < schema.arguments().size(); ++i) {
    const auto& iv = stack[i];
    if (iv.isTensor()) {
      os << (first ? "" : ", ") << schema.arguments()[i].name() << "=" << DescribeTensor(iv.toTensor());
      first = false;
    } else if (iv.isTensorList()) {
      os << (first ? "" : ", ") << schema.arguments()[i].name() << "=[";
      auto l = iv.toTensorList();
      for (size_t j = 0; j < l.size() && j < 8; ++j) os << (j ? "; " : "") << DescribeTensor(l.get(j));
      if (l.size() > 8) os << "; ...";
      os << "]";
      first = false;
    }
  }
  return os.str();
}

// call(id, args[], wantResult) -> result | undefined
static Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const c10::OperatorHandle& op = GetOp(info);
  const c10::FunctionSchema& schema = op.schema();
  const auto& sargs = schema.arguments();
  Napi::Array args = info[1].As<Napi::Array>();
  bool want = info.Length() < 3 || info[2].ToBoolean().Value();
  uint32_t n = args.Length();
  // Built only on error paths: a string per call would cost more than small ops themselves.
  auto opNameOf = [&schema]() { return schema.name() + (schema.overload_name().empty() ? "" : "." + schema.overload_name()); };
  if (n > sargs.size()) {
    std::string opName = opNameOf();
    throw Napi::TypeError::New(env, opName + ": " + std::to_string(n) + " arguments given, at most " +
                                        std::to_string(sargs.size()) + " expected");
  }
  torch::jit::Stack stack;
  stack.reserve(sargs.size());
  for (size_t i = 0; i < sargs.size(); ++i) {
    const auto& a = sargs[i];
    Napi::Value v = i < n ? args.Get(static_cast<uint32_t>(i)) : env.Undefined();
    if (v.IsUndefined()) {
      if (a.default_value().has_value()) {
        stack.push_back(*a.default_value());
        continue;
      }
      if (a.type()->kind() == c10::TypeKind::OptionalType) {
        stack.emplace_back();
        continue;
      }
      throw Napi::TypeError::New(env, opNameOf() + ": missing argument '" + a.name() + "'");
    }
    try {
      stack.push_back(ToIValue(v, a.type(), a.name()));
    } catch (const Napi::Error& e) {
      throw Napi::TypeError::New(env, opNameOf() + ": " + e.Message());
    } catch (const c10::Error& e) {
      // e.g. c10::Device("tpu"): without this the exception escapes the callback and aborts Node.
      throw Napi::TypeError::New(env, opNameOf() + ": " + a.name() + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      throw Napi::TypeError::New(env, opNameOf() + ": " + a.name() + ": " + e.what());
    }
  }
  try {
    op.callBoxed(&stack);
  } catch (const c10::Error& e) {
    // Re-derive the argument description from the JS side (the stack was consumed).
    torch::jit::Stack again;
    for (size_t i = 0; i < sargs.size() && i < n; ++i) {
      Napi::Value v = args.Get(static_cast<uint32_t>(i));
      if (const at::Tensor* t = PeekTensor(v)) {
        again.emplace_back(*t);
      } else if (v.IsArray()) {
        // Tensor lists (cat, stack, foreach ops) are described too.
        Napi::Array arr = v.As<Napi::Array>();
        c10::List<at::Tensor> l;
        for (uint32_t j = 0; j < arr.Length(); ++j) {
          Napi::Value e = arr.Get(j);
          if (const at::Tensor* t = PeekTensor(e)) l.push_back(*t);
        }
        if (l.empty()) again.emplace_back();
        else again.emplace_back(std::move(l));
      } else {
        again.emplace_back();
      }
    }
    std::string msg = e.what_without_backtrace();
    throw Napi::Error::New(env, opNameOf() + ": " + msg + " (" + DescribeArgs(schema, again) + ")");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, opNameOf() + ": " + e.what());
  }
  if (!want) return env.Undefined();
  if (stack.size() == 1) return FromIValue(env, stack[0]);
  Napi::Array out = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(env, stack[i]));
  return out;
}

void InitOps(Napi::Env env, Napi::Object exports) {
  exports.Set("opHandle", Napi::Function::New(env, OpHandle));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema));
  exports.Set("call", Napi::Function::New(env, Call));
}

}  // namespace polyret
