#include "common.h"

#include <sstream>

namespace polyret {

static std::vector<at::Tensor> g_slots;
static std::vector<uint32_t> g_free;
static size_t g_live = 0;

size_t LiveHandleCount() { return g_live; }

Napi::Value WrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  uint32_t slot;
  if (!g_free.empty()) {
    slot = g_free.back();
    g_free.pop_back();
    g_slots[slot] = std::move(t);
  } else {
    slot = static_cast<uint32_t>(g_slots.size());
    g_slots.push_back(std::move(t));
  }
  ++g_live;
  return Napi::Number::New(env, kHandleBase + static_cast<double>(slot));
}

static bool SlotOf(const Napi::Value& v, uint32_t* slot) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  double s = d - kHandleBase;
  if (!(s >= 0 && s < static_cast<double>(g_slots.size())) || s != static_cast<double>(static_cast<uint32_t>(s))) return false;
  *slot = static_cast<uint32_t>(s);
  return true;
}

bool IsTensorHandle(const Napi::Value& v) {
  uint32_t slot;
  return SlotOf(v, &slot) && g_slots[slot].defined();
}

const at::Tensor* PeekTensor(const Napi::Value& v) {
  uint32_t slot;
  if (!SlotOf(v, &slot) || !g_slots[slot].defined()) return nullptr;
  return &g_slots[slot];
}

void FreeHandle(const Napi::Value& v) {
  uint32_t slot;
  if (!SlotOf(v, &slot) || !g_slots[slot].defined()) return;
  g_slots[slot].reset();
  g_free.push_back(slot);
  --g_live;
}

at::Tensor& UnwrapTensor(const Napi::Value& v, const char* what) {
  Napi::Env env = v.Env();
  uint32_t slot;
  if (!SlotOf(v, &slot)) {
    throw Napi::TypeError::New(env, std::string(what) + ": expected a tensor");
  }
  if (!g_slots[slot].defined()) {
    throw Napi::Error::New(env, std::string(what) + ": tensor was disposed");
  }
  return g_slots[slot];
}

std::string DescribeTensor(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream os;
  os << "[";
  auto sizes = t.sizes();
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? "," : "") << sizes[i];
  os << "] " << c10::toString(t.scalar_type()) << " " << t.device();
  return os.str();
}

static int64_t ToInt(const Napi::Value& v, const std::string& argName) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) {
      throw Napi::TypeError::New(v.Env(), argName + ": expected an integer, got " + std::to_string(d));
    }
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  throw Napi::TypeError::New(v.Env(), argName + ": expected an integer");
}

static double ToDouble(const Napi::Value& v, const std::string& argName) {
  if (IsTensorHandle(v)) throw Napi::TypeError::New(v.Env(), argName + ": expected a number, got a tensor");
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsBigInt()) {
    bool lossless = true;
    return static_cast<double>(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  throw Napi::TypeError::New(v.Env(), argName + ": expected a number");
}

static at::Scalar ToScalar(const Napi::Value& v, const std::string& argName) {
  if (IsTensorHandle(v)) throw Napi::TypeError::New(v.Env(), argName + ": expected a number, got a tensor");
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) {
    bool lossless = true;
    return at::Scalar(static_cast<int64_t>(v.As<Napi::BigInt>().Int64Value(&lossless)));
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    // Integral JS numbers stay integral so integer tensors keep their dtype (x.mul(2) on int64).
    if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9007199254740992.0) {
      return at::Scalar(static_cast<int64_t>(d));
    }
    return at::Scalar(d);
  }
  throw Napi::TypeError::New(v.Env(), argName + ": expected a number or boolean");
}

static Napi::Array ToArray(const Napi::Value& v, const std::string& argName) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), argName + ": expected an array");
  return v.As<Napi::Array>();
}

c10::IValue ToIValue(const Napi::Value& v, const c10::TypePtr& type, const std::string& argName) {
  Napi::Env env = v.Env();
  switch (type->kind()) {
    case c10::TypeKind::OptionalType: {
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return ToIValue(v, type->expectRef<c10::OptionalType>().getElementType(), argName);
    }
    case c10::TypeKind::TensorType:
      return UnwrapTensor(v, argName.c_str());
    case c10::TypeKind::IntType:
#if TORCH_VERSION_MAJOR >= 2
    case c10::TypeKind::SymIntType:
#endif
      if (v.IsString()) {
        // Memory formats, layouts and dtypes may be given by name where convenient.
        throw Napi::TypeError::New(env, argName + ": expected an integer code, got a string");
      }
      return ToInt(v, argName);
    case c10::TypeKind::FloatType:
      return ToDouble(v, argName);
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) throw Napi::TypeError::New(env, argName + ": expected a boolean");
      return v.As<Napi::Boolean>().Value();
    case c10::TypeKind::NumberType:
      return ToScalar(v, argName);
    case c10::TypeKind::StringType:
      if (!v.IsString()) throw Napi::TypeError::New(env, argName + ": expected a string");
      return v.As<Napi::String>().Utf8Value();
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) throw Napi::TypeError::New(env, argName + ": expected a device string such as 'cpu' or 'cuda:0'");
      return c10::Device(v.As<Napi::String>().Utf8Value());
    case c10::TypeKind::ListType: {
      auto elem = type->expectRef<c10::ListType>().getElementType();
      // A single number where an int[] is expected (dim=1) is accepted, as PyTorch does.
      if (v.IsNumber() && (elem->kind() == c10::TypeKind::IntType
#if TORCH_VERSION_MAJOR >= 2
                           || elem->kind() == c10::TypeKind::SymIntType
#endif
                           )) {
        c10::List<int64_t> l;
        l.push_back(ToInt(v, argName));
        return l;
      }
      Napi::Array arr = ToArray(v, argName);
      uint32_t n = arr.Length();
      switch (elem->kind()) {
        case c10::TypeKind::IntType:
#if TORCH_VERSION_MAJOR >= 2
        case c10::TypeKind::SymIntType:
#endif
        {
          c10::List<int64_t> l;
          l.reserve(n);
          for (uint32_t i = 0; i < n; ++i) l.push_back(ToInt(arr.Get(i), argName));
          return l;
        }
        case c10::TypeKind::FloatType: {
          c10::List<double> l;
          l.reserve(n);
          for (uint32_t i = 0; i < n; ++i) l.push_back(ToDouble(arr.Get(i), argName));
          return l;
        }
        case c10::TypeKind::BoolType: {
          c10::List<bool> l;
          l.reserve(n);
          for (uint32_t i = 0; i < n; ++i) l.push_back(arr.Get(i).ToBoolean().Value());
          return l;
        }
        case c10::TypeKind::TensorType: {
          c10::List<at::Tensor> l;
          l.reserve(n);
          for (uint32_t i = 0; i < n; ++i) l.push_back(UnwrapTensor(arr.Get(i), argName.c_str()));
          return l;
        }
        case c10::TypeKind::OptionalType: {
          c10::List<c10::optional<at::Tensor>> l;
          l.reserve(n);
          for (uint32_t i = 0; i < n; ++i) {
            Napi::Value e = arr.Get(i);
            if (e.IsNull() || e.IsUndefined()) l.push_back(c10::nullopt);
            else l.push_back(UnwrapTensor(e, argName.c_str()));
          }
          return l;
        }
        default:
          break;
      }
      throw Napi::TypeError::New(env, argName + ": unsupported list type " + type->str());
    }
    default:
      break;
  }
  throw Napi::TypeError::New(env, argName + ": unsupported argument type " + type->str());
}

Napi::Value FromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return WrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isScalar()) {
    auto s = v.toScalar();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    return Napi::Number::New(env, s.toDouble());
  }
  if (v.isTensorList()) {
    auto l = v.toTensorList();
    Napi::Array out = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) out.Set(static_cast<uint32_t>(i), WrapTensor(env, l.get(i)));
    return out;
  }
  if (v.isIntList()) {
    auto l = v.toIntList();
    Napi::Array out = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(l.get(i))));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(env, elems[i]));
    return out;
  }
  if (v.isList()) {
    auto l = v.toListRef();
    Napi::Array out = Napi::Array::New(env, l.size());
    for (size_t i = 0; i < l.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(env, l[i]));
    return out;
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  throw Napi::TypeError::New(env, std::string("unsupported result type ") + v.tagKind());
}

}  // namespace polyret
