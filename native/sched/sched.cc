// audiofs sched: threads' scheduling policies, set and read with the system calls themselves (chrt is a
// process: a fork of the mount, 2-3 ms of its JavaScript thread, each time), and raised for the length of each
// garbage collection.
//
//   setPolicy(tid, policy, priority) -> undefined   policy 'fifo' (priority 1-99), 'idle' or 'other'
//                                                  (priority 0), always with SCHED_RESET_ON_FORK;
//                                                  throws with the errno name (EPERM, ESRCH, EINVAL)
//   policyOf(tid) -> {policy, priority}              what sched_getscheduler and sched_getparam say
//   boostDuringGc(tids, priority) -> undefined       from now on each garbage collection of this isolate puts
//                                                  `tids` in SCHED_FIFO `priority` (its prologue) and back in
//                                                  SCHED_IDLE after it (its epilogue); boostDuringGc([], 0)
//                                                  stops (the threads keep the policy they have). A thread
//                                                  gone is counted, never thrown from a callback.
//   gcBoostStats() -> {gcs, raised, lowered, failed, lastError, raisedPolicy}
//                                                  counters since the addon loaded; raisedPolicy: what
//                                                  sched_getscheduler said of the first thread right after the
//                                                  last raise (1 = SCHED_FIFO), for tests
//   available                                       false where these calls or SCHED_IDLE do not exist
//                                                  (not Linux)
//
// Why the boost: idle-class threads give way to every other thread, but a GC first brings each of V8's
// compile jobs under way to a safepoint, and the JavaScript thread waits for that: raised for the length of
// the GC, they reach it at once. The prologue callbacks run before the GC asks for the safepoint (V8's
// Heap::CollectGarbage calls them, then PerformGarbageCollection enters the safepoint).

#include <node_api.h>
#include <v8.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#ifdef __linux__
#include <sched.h>
#define SCHED_AVAILABLE 1
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#else
#define SCHED_AVAILABLE 0
#endif

namespace {

std::string errnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    default: return "errno " + std::to_string(err);
  }
}

napi_value fail(napi_env env, int err, const std::string& what) {
  napi_throw_error(env, errnoName(err).c_str(), (what + ": " + strerror(err)).c_str());
  return nullptr;
}

bool intArg(napi_env env, napi_value v, int lo, int hi, int* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < lo || d > hi) return false;
  *out = static_cast<int>(d);
  return *out == d;
}

napi_value SetPolicy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int tid = 0;
  int priority = 0;
  char name[16] = {0};
  size_t len = 0;
  if (argc < 3 || !intArg(env, argv[0], 1, 2147483647, &tid) || !intArg(env, argv[2], 0, 99, &priority) ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) {
    return fail(env, EINVAL, "setPolicy(tid, 'fifo' | 'idle' | 'other', priority)");
  }
#if SCHED_AVAILABLE
  std::string p(name, len);
  int policy = p == "fifo" ? SCHED_FIFO : p == "idle" ? SCHED_IDLE : p == "other" ? SCHED_OTHER : -1;
  if (policy < 0 || (policy == SCHED_FIFO) != (priority > 0)) return fail(env, EINVAL, "setPolicy: " + p + " " + std::to_string(priority));
  sched_param param{};
  param.sched_priority = priority;
  if (sched_setscheduler(tid, policy | SCHED_RESET_ON_FORK, &param) != 0) return fail(env, errno, "sched_setscheduler " + std::to_string(tid));
  return nullptr;
#else
  return fail(env, ENOSYS, "setPolicy: not on this system");
#endif
}

napi_value PolicyOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int tid = 0;
  if (argc < 1 || !intArg(env, argv[0], 1, 2147483647, &tid)) return fail(env, EINVAL, "policyOf(tid)");
#if SCHED_AVAILABLE
  int policy = sched_getscheduler(tid);
  sched_param param{};
  if (policy < 0 || sched_getparam(tid, &param) != 0) return fail(env, errno, "sched_getscheduler " + std::to_string(tid));
  policy &= ~SCHED_RESET_ON_FORK;
  const char* name = policy == SCHED_FIFO ? "fifo" : policy == SCHED_IDLE ? "idle" : policy == SCHED_OTHER ? "other" : "other-class";
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "policy", v);
  napi_create_int32(env, param.sched_priority, &v);
  napi_set_named_property(env, obj, "priority", v);
  return obj;
#else
  return fail(env, ENOSYS, "policyOf: not on this system");
#endif
}

struct Boost {
  std::vector<int> tids;
  int priority = 0;
  bool hooked = false;
  double gcs = 0, raised = 0, lowered = 0, failed = 0;
  int lastError = 0;
  int raisedPolicy = -1;
};

Boost boost;

#if SCHED_AVAILABLE
void setAll(int policy, int priority, double& counter) {
  sched_param param{};
  param.sched_priority = priority;
  for (int tid : boost.tids) {
    if (sched_setscheduler(tid, policy | SCHED_RESET_ON_FORK, &param) == 0) {
      counter++;
    } else {
      boost.failed++;
      boost.lastError = errno;
    }
  }
}

void prologue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void*) {
  if (boost.tids.empty()) return;
  boost.gcs++;
  setAll(SCHED_FIFO, boost.priority, boost.raised);
  int policy = sched_getscheduler(boost.tids[0]);
  boost.raisedPolicy = policy < 0 ? -1 : (policy & ~SCHED_RESET_ON_FORK);
}

void epilogue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void*) {
  if (boost.tids.empty()) return;
  setAll(SCHED_IDLE, 0, boost.lowered);
}
#endif

napi_value BoostDuringGc(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool isArray = false;
  int priority = 0;
  if (argc < 2 || napi_is_array(env, argv[0], &isArray) != napi_ok || !isArray || !intArg(env, argv[1], 0, 99, &priority)) {
    return fail(env, EINVAL, "boostDuringGc(tids, priority)");
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  std::vector<int> tids;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int tid = 0;
    napi_get_element(env, argv[0], i, &v);
    if (!intArg(env, v, 1, 2147483647, &tid)) return fail(env, EINVAL, "boostDuringGc: a thread id is not a positive integer");
    tids.push_back(tid);
  }
  if (!tids.empty() && priority < 1) return fail(env, EINVAL, "boostDuringGc: expected a SCHED_FIFO priority from 1 to 99");
#if SCHED_AVAILABLE
  boost.tids = tids;
  boost.priority = priority;
  if (!boost.hooked && !tids.empty()) {
    v8::Isolate* isolate = v8::Isolate::GetCurrent();
    isolate->AddGCPrologueCallback(prologue, nullptr);
    isolate->AddGCEpilogueCallback(epilogue, nullptr);
    boost.hooked = true;
  }
  return nullptr;
#else
  return fail(env, ENOSYS, "boostDuringGc: not on this system");
#endif
}

void setNumber(napi_env env, napi_value obj, const char* name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

napi_value GcBoostStats(napi_env env, napi_callback_info) {
  napi_value obj, err;
  napi_create_object(env, &obj);
  setNumber(env, obj, "gcs", boost.gcs);
  setNumber(env, obj, "raised", boost.raised);
  setNumber(env, obj, "lowered", boost.lowered);
  setNumber(env, obj, "failed", boost.failed);
  setNumber(env, obj, "raisedPolicy", boost.raisedPolicy);
  std::string name = boost.lastError == 0 ? "" : errnoName(boost.lastError);
  napi_create_string_utf8(env, name.c_str(), NAPI_AUTO_LENGTH, &err);
  napi_set_named_property(env, obj, "lastError", err);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setPolicy", NAPI_AUTO_LENGTH, SetPolicy, nullptr, &fn);
  napi_set_named_property(env, exports, "setPolicy", fn);
  napi_create_function(env, "policyOf", NAPI_AUTO_LENGTH, PolicyOf, nullptr, &fn);
  napi_set_named_property(env, exports, "policyOf", fn);
  napi_create_function(env, "boostDuringGc", NAPI_AUTO_LENGTH, BoostDuringGc, nullptr, &fn);
  napi_set_named_property(env, exports, "boostDuringGc", fn);
  napi_create_function(env, "gcBoostStats", NAPI_AUTO_LENGTH, GcBoostStats, nullptr, &fn);
  napi_set_named_property(env, exports, "gcBoostStats", fn);
  napi_value available;
  napi_get_boolean(env, SCHED_AVAILABLE == 1, &available);
  napi_set_named_property(env, exports, "available", available);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
