{
  "targets": [{
    "target_name": "spawn",
    "sources": ["spawn.cc"],
    "cflags_cc": ["-O2", "-Wall", "-std=c++17"],
    "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O2", "-Wall", "-std=c++17"]}
  }]
}
