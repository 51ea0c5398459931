{
  "targets": [{
    "target_name": "pump",
    "sources": ["pump.cc"],
    "cflags_cc": ["-O2", "-Wall", "-std=c++17", "-pthread"],
    "ldflags": ["-pthread"],
    "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O2", "-Wall", "-std=c++17"]}
  }]
}
