// Errors of audiofs's own addons (native/pump, native/spawn), one home: an errno's name, and a JavaScript Error
// thrown from a call.
#pragma once

#include <node_api.h>

#include <cstring>
#include <string>

namespace audiofs {

// An errno's name ("EPIPE"), where glibc tells it (2.32+); else "E" and its number.
inline std::string errnoName(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* n = strerrorname_np(e);
  if (n) return n;
#endif
  return "E" + std::to_string(e);
}

// Throws an Error with `msg`; returns what a call then returns (nullptr).
inline napi_value throwError(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

// A connected pair of descriptors as JavaScript's [first, second].
inline napi_value descriptorPair(napi_env env, const int fds[2]) {
  napi_value arr, a, b;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, fds[0], &a);
  napi_create_int32(env, fds[1], &b);
  napi_set_element(env, arr, 0, a);
  napi_set_element(env, arr, 1, b);
  return arr;
}

}  // namespace audiofs
