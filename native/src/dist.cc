// PyTorch's own distributed engine (c10d) for data-parallel training: a TCPStore rendezvous, a
// ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA, where the libtorch build has it), and the
// collectives training needs: allReduce, allGather (plain, and autograd-aware like
// torch.distributed.nn.all_gather), broadcast and barrier. One process group per process.
//
// Versions: in libtorch 1.13 the process groups derive from c10d::ProcessGroup; from 2.0 on they
// are c10d::Backend objects (ProcessGroup became a dispatcher over backends). Both expose the same
// collective methods, so the group is held through whichever base the version has.
// Build macros (set by find-libtorch.cjs): POLYRET_GLOO when the Gloo headers are installed
// (Debian: libgloo-dev), POLYRET_NCCL when libtorch_cuda and the NCCL headers exist.
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#if defined(POLYRET_GLOO) || defined(POLYRET_NCCL)
#define POLYRET_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#endif
#ifdef POLYRET_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef POLYRET_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace polyret {

#ifdef POLYRET_C10D

#if TORCH_VERSION_MAJOR >= 2
using CommBase = c10d::Backend;
#else
using CommBase = c10d::ProcessGroup;
#endif

struct DistState {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<CommBase> group;
  int rank = 0;
  int size = 1;
  std::string backend;
};

static DistState& State() {
  static DistState s;
  return s;
}

static CommBase& Group(Napi::Env env, const char* what) {
  auto& s = State();
  if (!s.group) throw Napi::Error::New(env, std::string(what) + ": the process group is not initialised (call initProcessGroup first)");
  return *s.group;
}

static void Wait(const c10::intrusive_ptr<c10d::Work>& work) { work->wait(); }

// all ranks' `input` stacked along dim 0 (every rank's input must have the same shape)
static at::Tensor GatherCat(CommBase& g, const at::Tensor& input) {
  at::Tensor in = input.detach().contiguous();
  std::vector<at::Tensor> inputs{in};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < g.getSize(); ++r) outputs[0].push_back(at::empty_like(in));
  Wait(g.allgather(outputs, inputs));
  return at::cat(outputs[0], 0);
}

static void AllReduceSum(CommBase& g, std::vector<at::Tensor>& ts) {
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  Wait(g.allreduce(ts, o));
}

// The gathered tensor with a gradient for every rank's slice, as torch.distributed.nn.all_gather:
// the backward pass sums the gradient of the gathered tensor over all ranks (every rank's loss may
// use every slice) and returns this rank's slice of the sum.
struct AllGatherWithGrad : public torch::autograd::Function<AllGatherWithGrad> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    auto& s = State();
    ctx->saved_data["rows"] = input.size(0);
    return GatherCat(*s.group, input);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto& s = State();
    int64_t rows = ctx->saved_data["rows"].toInt();
    std::vector<at::Tensor> g{grads[0].contiguous().clone()};
    AllReduceSum(*s.group, g);
    return {g[0].narrow(0, static_cast<int64_t>(s.rank) * rows, rows).contiguous()};
  }
};

static bool IsLoopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

// initProcessGroup(backend, rank, size, masterAddr, masterPort, timeoutMs)
static Napi::Value InitProcessGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string backend = info[0].As<Napi::String>().Utf8Value();
  int rank = info[1].As<Napi::Number>().Int32Value();
  int size = info[2].As<Napi::Number>().Int32Value();
  std::string addr = info[3].As<Napi::String>().Utf8Value();
  int port = info[4].As<Napi::Number>().Int32Value();
  int64_t timeoutMs = info[5].As<Napi::Number>().Int64Value();
  auto& s = State();
  if (s.group) throw Napi::Error::New(env, "initProcessGroup: a process group is already initialised");
  if (size < 1 || rank < 0 || rank >= size) throw Napi::RangeError::New(env, "initProcessGroup: rank " + std::to_string(rank) + " is outside a world of " + std::to_string(size));
  if (port < 0 || port > 65535) throw Napi::RangeError::New(env, "initProcessGroup: port " + std::to_string(port) + " is outside 0-65535");
  std::chrono::milliseconds timeout(timeoutMs);
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(size);
  so.waitWorkers = true;
  so.timeout = timeout;
  try {
    s.store = c10::make_intrusive<c10d::TCPStore>(addr, so);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw Napi::Error::New(env, std::string("TCPStore ") + addr + ":" + std::to_string(port) + (rank == 0 ? " (server)" : " (client)") + ": " + what.substr(0, what.find("\nException raised from")));
  }
  POLYRET_GUARD("initProcessGroup", {
    if (backend == "gloo") {
#ifdef POLYRET_GLOO
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (IsLoopback(addr)) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 2;
      s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, rank, size, opts);
#else
      throw Napi::Error::New(env, "initProcessGroup: this build of the addon has no Gloo (install libgloo-dev and rebuild the addon)");
#endif
    } else if (backend == "nccl") {
#ifdef POLYRET_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      s.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(s.store, rank, size, opts);
#else
      throw Napi::Error::New(env, "initProcessGroup: this build of the addon has no NCCL (it needs a CUDA libtorch with ProcessGroupNCCL)");
#endif
    } else {
      throw Napi::Error::New(env, "initProcessGroup: backend must be 'gloo' or 'nccl', got '" + backend + "'");
    }
    s.rank = rank;
    s.size = size;
    s.backend = backend;
  })
  return env.Undefined();
}

static std::vector<at::Tensor> Tensors(const Napi::Value& v, const char* what) {
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(UnwrapTensor(arr.Get(i), what));
  return out;
}

// allReduce(handles[], op): in place; op 'sum' | 'max' | 'min' | 'avg' (sum, then ÷ world size)
static Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CommBase& g = Group(env, "allReduce");
  auto ts = Tensors(info[0], "allReduce");
  std::string op = info[1].As<Napi::String>().Utf8Value();
  POLYRET_GUARD("allReduce", {
    for (auto& t : ts)
      if (!t.is_contiguous()) throw Napi::Error::New(env, "allReduce: tensor " + DescribeTensor(t) + " is not contiguous");
    c10d::AllreduceOptions o;
    if (op == "sum" || op == "avg") o.reduceOp = c10d::ReduceOp::SUM;
    else if (op == "max") o.reduceOp = c10d::ReduceOp::MAX;
    else if (op == "min") o.reduceOp = c10d::ReduceOp::MIN;
    else throw Napi::Error::New(env, "allReduce: op must be sum, avg, max or min, got '" + op + "'");
    // Collectives write into the tensors they get; detached aliases keep autograd out of it.
    std::vector<at::Tensor> data;
    for (auto& t : ts) data.push_back(t.detach());
    Wait(g.allreduce(data, o));
    if (op == "avg") {
      at::NoGradGuard ng;
      for (auto& t : data) t.div_(State().size);
    }
  })
  return env.Undefined();
}

// allGather(handle, withGrad) -> handle: every rank's tensor stacked along dim 0, in rank order
static Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CommBase& g = Group(env, "allGather");
  at::Tensor& t = UnwrapTensor(info[0], "allGather");
  bool withGrad = info[1].ToBoolean().Value();
  POLYRET_GUARD("allGather", {
    if (t.dim() == 0) throw Napi::Error::New(env, "allGather: needs a tensor with at least one dimension");
    if (withGrad) return WrapTensor(env, AllGatherWithGrad::apply(t));
    return WrapTensor(env, GatherCat(g, t));
  })
}

// broadcast(handles[], root): in place
static Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CommBase& g = Group(env, "broadcast");
  auto ts = Tensors(info[0], "broadcast");
  int root = info[1].As<Napi::Number>().Int32Value();
  POLYRET_GUARD("broadcast", {
    if (root < 0 || root >= State().size) throw Napi::RangeError::New(env, "broadcast: root " + std::to_string(root) + " is not a rank");
    std::vector<at::Tensor> data;
    for (auto& t : ts) {
      if (!t.is_contiguous()) throw Napi::Error::New(env, "broadcast: tensor " + DescribeTensor(t) + " is not contiguous");
      data.push_back(t.detach());
    }
    c10d::BroadcastOptions o;
    o.rootRank = root;
    Wait(g.broadcast(data, o));
  })
  return env.Undefined();
}

static Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CommBase& g = Group(env, "barrier");
  POLYRET_GUARD("barrier", { Wait(g.barrier()); })
  return env.Undefined();
}

static Napi::Value DestroyProcessGroup(const Napi::CallbackInfo& info) {
  auto& s = State();
  s.group.reset();
  s.store.reset();
  s.rank = 0;
  s.size = 1;
  s.backend.clear();
  return info.Env().Undefined();
}

#else  // no c10d in this build

static Napi::Value NoC10d(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "distributed training: this build of the addon has no c10d backend (install libgloo-dev for Gloo, and rebuild the addon)");
}

#endif

static Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
#ifdef POLYRET_GLOO
  out.Set(n++, Napi::String::New(env, "gloo"));
#endif
#ifdef POLYRET_NCCL
  out.Set(n++, Napi::String::New(env, "nccl"));
#endif
  (void)n;
  return out;
}

void InitDist(Napi::Env env, Napi::Object exports) {
  exports.Set("distBackends", Napi::Function::New(env, DistBackends));
#ifdef POLYRET_C10D
  exports.Set("initProcessGroup", Napi::Function::New(env, InitProcessGroup));
  exports.Set("destroyProcessGroup", Napi::Function::New(env, DestroyProcessGroup));
  exports.Set("allReduce", Napi::Function::New(env, AllReduce));
  exports.Set("allGather", Napi::Function::New(env, AllGather));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
#else
  for (const char* name : {"initProcessGroup", "destroyProcessGroup", "allReduce", "allGather", "broadcast", "barrier"})
    exports.Set(name, Napi::Function::New(env, NoC10d));
#endif
}

}  // namespace polyret
