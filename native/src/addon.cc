#include "common.h"

#include <malloc.h>
#include <cstdlib>

// Large tensors (an embedding table's gradient, optimizer temporaries) are allocated and freed every
// step. glibc serves allocations above its mmap threshold (at most 32 MiB) with fresh mmaps, so each
// step pays page faults and kernel zeroing for them. Raising the threshold and the trim threshold
// lets freed blocks be reused instead. POLYRET_SYSTEM_MALLOC=1 keeps glibc's defaults.
static void TuneMalloc() {
  const char* keep = std::getenv("POLYRET_SYSTEM_MALLOC");
  if (keep && keep[0] == '1') return;
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  TuneMalloc();
  polyret::InitOps(env, exports);
  polyret::InitRuntime(env, exports);
  polyret::InitDist(env, exports);
  return exports;
}

NODE_API_MODULE(polyret_native, InitAddon)
