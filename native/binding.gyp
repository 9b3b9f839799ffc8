{
  "targets": [
    {
      "target_name": "polyret_native",
      "sources": ["src/addon.cc", "src/convert.cc", "src/ops.cc", "src/runtime.cc", "src/dist.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node find-libtorch.cjs --include)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-deprecated-declarations", "-Wno-unused-parameter", "-Wno-unused-variable", "<!@(node find-libtorch.cjs --cflags)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "libraries": ["<!@(node find-libtorch.cjs --libs)"]
    }
  ]
}
