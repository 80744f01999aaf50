{
  "targets": [
    {
      "target_name": "wirecraft_native",
      "sources": ["wirecraft.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
