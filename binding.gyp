{
  "targets": [
    {
      "target_name": "fused_adam",
      "sources": ["native/binding.cc", "native/fused_adam.cc", "native/mlp_epoch.cc"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-O3", "-march=native", "-fno-math-errno", "-std=c++20"],
      "ldflags": ["-pthread"]
    }
  ]
}
