#include "common.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  polyret::InitOps(env, exports);
  polyret::InitRuntime(env, exports);
  return exports;
}

NODE_API_MODULE(polyret_native, InitAddon)
