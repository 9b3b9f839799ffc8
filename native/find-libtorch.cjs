#!/usr/bin/env node
// Locates libtorch for node-gyp, in the order documented in the README:
//   1. LIBTORCH env: a libtorch folder (include/, lib/)
//   2. the libtorch inside an installed Python `torch` package (LIBTORCH_PYTHON selects the interpreter;
//      python3 on PATH, then /usr/bin/python3), so CUDA builds from pip work
//   3. Debian's libtorch-dev (/usr/include, /usr/lib/<multiarch>)
// Prints one of: --include | --libdir | --cflags | --libs | --summary
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function fromFolder(root, how) {
  const inc = path.join(root, 'include');
  const lib = path.join(root, 'lib');
  if (!fs.existsSync(path.join(inc, 'ATen', 'ATen.h'))) return null;
  return {
    how,
    includes: [inc, path.join(inc, 'torch', 'csrc', 'api', 'include')],
    libdir: lib,
    abi: process.env.LIBTORCH_CXX11_ABI ?? detectAbi(lib),
  };
}

function detectAbi(libdir) {
  // A C++11-ABI build exports symbols with the __cxx11 inline namespace.
  try {
    const out = execFileSync('nm', ['-D', '--defined-only', path.join(libdir, 'libc10.so')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return out.includes('__cxx11') ? '1' : '0';
  } catch {
    return '1';
  }
}

function fromPython(python) {
  const code = [
    'import json, torch',
    'from torch.utils import cpp_extension as c',
    'print(json.dumps({"inc": c.include_paths(), "lib": c.library_paths()[0], "abi": int(torch._C._GLIBCXX_USE_CXX11_ABI), "version": torch.__version__}))',
  ].join('\n');
  try {
    const out = execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const info = JSON.parse(out.trim().split('\n').pop());
    const includes = info.inc.filter((d) => fs.existsSync(d));
    if (!includes.some((d) => fs.existsSync(path.join(d, 'ATen', 'ATen.h')))) return null;
    let libdir = info.lib;
    // Debian's python3-torch keeps its shared libraries in the multiarch folder, not torch/lib.
    if (!fs.existsSync(path.join(libdir, 'libc10.so'))) {
      const deb = debianLibdir();
      if (!deb) return null;
      libdir = deb;
    }
    return { how: `python torch ${info.version} (${python})`, includes, libdir, abi: String(info.abi) };
  } catch {
    return null;
  }
}

function debianLibdir() {
  for (const d of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    if (fs.existsSync(path.join(d, 'libtorch.so')) && fs.existsSync(path.join(d, 'libc10.so'))) return d;
  }
  return null;
}

function fromDebian() {
  const libdir = debianLibdir();
  if (!libdir || !fs.existsSync('/usr/include/ATen/ATen.h')) return null;
  return { how: 'Debian libtorch-dev', includes: ['/usr/include', '/usr/include/torch/csrc/api/include'], libdir, abi: '1' };
}

function locate() {
  if (process.env.LIBTORCH) {
    const r = fromFolder(process.env.LIBTORCH, `LIBTORCH=${process.env.LIBTORCH}`);
    if (!r) throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no include/ATen/ATen.h`);
    return r;
  }
  const pythons = process.env.LIBTORCH_PYTHON ? [process.env.LIBTORCH_PYTHON] : ['python3', '/usr/bin/python3'];
  if (process.env.LIBTORCH_SKIP_PYTHON !== '1') {
    for (const py of pythons) {
      const r = fromPython(py);
      if (r) return r;
    }
  }
  const deb = fromDebian();
  if (deb) return deb;
  throw new Error('libtorch not found: set LIBTORCH, install a Python torch, or `apt-get install -y libtorch-dev`');
}

const t = locate();
const hasCuda = fs.existsSync(path.join(t.libdir, 'libtorch_cuda.so'));

// c10d (native/src/dist.cc): Gloo needs gloo's headers (Debian: libgloo-dev; pip wheels do not ship
// them), NCCL needs a CUDA libtorch with ProcessGroupNCCL and nccl.h (pip: the nvidia-nccl wheel).
function findHeader(rel, extra = []) {
  for (const d of [...t.includes, ...extra, '/usr/include', '/usr/local/include']) {
    if (fs.existsSync(path.join(d, rel))) return d;
  }
  return null;
}
const c10dHeader = (name) => findHeader(path.join('torch', 'csrc', 'distributed', 'c10d', name)) !== null;
const glooInclude = c10dHeader('ProcessGroupGloo.hpp') ? findHeader(path.join('gloo', 'algorithm.h')) : null;
function ncclCandidates() {
  // pip's nvidia-nccl-cu* wheels sit beside torch in site-packages.
  const out = [];
  for (const inc of t.includes) {
    const sp = inc.split(`${path.sep}torch${path.sep}`)[0];
    out.push(path.join(sp, 'nvidia', 'nccl', 'include'));
  }
  return out;
}
const ncclInclude = hasCuda && c10dHeader('ProcessGroupNCCL.hpp') ? findHeader('nccl.h', ncclCandidates()) : null;
const c10dIncludes = [glooInclude, ncclInclude].filter((d) => d && !t.includes.includes(d) && d !== '/usr/include');
const arg = process.argv[2];
if (arg === '--include') console.log([...t.includes, ...c10dIncludes].join(' '));
else if (arg === '--libdir') console.log(t.libdir);
else if (arg === '--cflags') console.log(`-D_GLIBCXX_USE_CXX11_ABI=${t.abi}${hasCuda ? ' -DPOLYRET_CUDA=1' : ''}${glooInclude ? ' -DPOLYRET_GLOO=1' : ''}${ncclInclude ? ' -DPOLYRET_NCCL=1' : ''}`);
else if (arg === '--libs') {
  const libs = ['-Wl,--no-as-needed', `-L${t.libdir}`, `-Wl,-rpath,${t.libdir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (hasCuda) libs.push('-ltorch_cuda', '-lc10_cuda');
  libs.push('-ldl', '-Wl,--as-needed');
  console.log(libs.join(' '));
} else console.log(JSON.stringify({ ...t, cuda: hasCuda, gloo: glooInclude !== null, nccl: ncclInclude !== null }, null, 2));
