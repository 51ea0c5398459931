// audiofs spawn: starts a stage's process with posix_spawn(3), and learns of its exit through a pidfd.
//
// Node (libuv 1.46) starts a child with fork(): the kernel copies the page tables of the whole mount (500 MB
// with many chains: 27 ms a spawn, measured) while it holds the address space for writing, and leaves every
// page of the mount write-protected, so the mount's next write to each takes a fault. glibc's posix_spawn
// clones with CLONE_VM | CLONE_VFORK instead: nothing is copied, whatever the mount's size; the calling thread
// waits only until the child has exec'd (call it off the thread that answers FUSE: spawn-worker.ts).
//
//   spawn(path, argv, env, cwd, stdio) -> pid     runs the file at `path` (no PATH search: the caller's) with
//                                                `argv` (argv[0] first); env: "NAME=value" strings; stdio:
//                                                descriptors for the child's 0, 1, 2, ... (-1: /dev/null at 0-2;
//                                                past 2: closed, if open here without close-on-exec). The
//                                                child leads a session and process group of its own (setsid),
//                                                with every signal at its default action and none blocked
//                                                (Node ignores SIGPIPE: the child must not). Throws an Error
//                                                whose code is the errno name (ENOENT, EACCES: exec or chdir).
//   watchExit(pid, onExit) -> undefined          onExit(code, signal) once the process exited (code, null) or
//                                                was killed (null, signal number), reaped here: on the calling
//                                                thread's event loop, which a pidfd keeps alive until then.
//   available                                     false where posix_spawn cannot setsid and chdir, or pidfds
//                                                do not exist (not Linux 5.3+): Node's spawn is used there.

#include <node_api.h>
#include <uv.h>

#include "../napi-errors.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#if defined(__linux__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#include <sys/syscall.h>
#include <sys/wait.h>
#define SPAWN_AVAILABLE 1
#else
#define SPAWN_AVAILABLE 0
#endif

namespace {

using audiofs::errnoName;
using audiofs::throwError;

napi_value throwErrno(napi_env env, int e, const std::string& what) {
  std::string code = errnoName(e);
  napi_throw_error(env, code.c_str(), (what + ": " + code + " (" + strerror(e) + ")").c_str());
  return nullptr;
}

// A string argument; false for anything else, and for a string holding a NUL (the C string would be cut there).
bool stringOf(napi_env env, napi_value v, std::string* out) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return false;
  out->resize(n);
  return napi_get_value_string_utf8(env, v, out->data(), n + 1, &n) == napi_ok && strlen(out->c_str()) == n;
}

bool stringsOf(napi_env env, napi_value arr, std::vector<std::string>* out) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    std::string s;
    if (napi_get_element(env, arr, i, &v) != napi_ok || !stringOf(env, v, &s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

#if SPAWN_AVAILABLE

int pidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Whether pidfds exist here (asked once, of this process).
bool pidfdsWork() {
  static int works = -1;
  if (works < 0) {
    int fd = pidfdOpen(getpid());
    works = fd >= 0;
    if (fd >= 0) close(fd);
  }
  return works == 1;
}

#endif

napi_value Spawn(napi_env env, napi_callback_info info) {
#if !SPAWN_AVAILABLE
  return throwError(env, "spawn.spawn: not available on this system");
#else
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string file, cwd;
  std::vector<std::string> args, vars;
  uint32_t nStdio = 0;
  if (argc != 5 || !stringOf(env, argv[0], &file) || !stringsOf(env, argv[1], &args) || args.empty() || !stringsOf(env, argv[2], &vars) ||
      !stringOf(env, argv[3], &cwd) || napi_get_array_length(env, argv[4], &nStdio) != napi_ok) {
    return throwError(env, "spawn.spawn: expected (path, argv, env, cwd, stdio), strings without NUL, argv not empty");
  }
  std::vector<int> stdio;
  for (uint32_t i = 0; i < nStdio; i++) {
    napi_value v;
    int32_t fd;
    if (napi_get_element(env, argv[4], i, &v) != napi_ok || napi_get_value_int32(env, v, &fd) != napi_ok) {
      return throwError(env, "spawn.spawn: expected descriptor numbers in stdio");
    }
    stdio.push_back(fd);
  }
  // A descriptor to give that sits where the child's stdio goes (the mount's own 0-2 closed) would be
  // overwritten by an earlier dup2: moved above them first.
  std::vector<int> moved;
  for (int& fd : stdio) {
    if (fd >= 0 && fd < static_cast<int>(nStdio)) {
      int d = fcntl(fd, F_DUPFD_CLOEXEC, static_cast<int>(nStdio));
      if (d < 0) {
        int e = errno;
        for (int m : moved) close(m);
        return throwErrno(env, e, "spawn.spawn: fcntl");
      }
      moved.push_back(d);
      fd = d;
    }
  }
  std::vector<char*> cargv, cenv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& v : vars) cenv.push_back(v.data());
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  int rc = 0;
  for (uint32_t i = 0; i < nStdio && rc == 0; i++) {
    int at = static_cast<int>(i);
    if (stdio[i] >= 0) {
      rc = posix_spawn_file_actions_adddup2(&actions, stdio[i], at);
    } else if (i < 3) {
      rc = posix_spawn_file_actions_addopen(&actions, at, "/dev/null", O_RDWR, 0);
    } else {
      // As Node's 'ignore' past 2: closed in the child if it is open here and would be inherited.
      int flags = fcntl(at, F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC)) rc = posix_spawn_file_actions_addclose(&actions, at);
    }
  }
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
  if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  if (rc == 0) rc = posix_spawn(&pid, file.c_str(), &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (int m : moved) close(m);
  if (rc != 0) return throwErrno(env, rc, "spawn " + file);
  napi_value result;
  napi_create_int32(env, pid, &result);
  return result;
#endif
}

#if SPAWN_AVAILABLE

struct Watches;

// One process being watched: its pidfd polled on the event loop of the thread that asked.
struct ExitWatch {
  uv_poll_t poll;
  int pidfd;
  pid_t pid;
  napi_env env;
  napi_ref onExit;
  napi_async_context context;
  Watches* owner;
  bool closing = false;  // uv_close was called (at most once per handle)
};

// The watches of one thread (one napi_env): closed without calling JavaScript when the thread ends (a worker
// torn down, process.exit()), or Node would find their handles open and abort.
struct Watches {
  std::unordered_set<ExitWatch*> live;  // until their handle is closed
  napi_async_cleanup_hook_handle hook = nullptr;
  bool tearingDown = false;
};

void closed(uv_handle_t* h) {
  ExitWatch* w = static_cast<ExitWatch*>(h->data);
  Watches* ws = w->owner;
  close(w->pidfd);
  ws->live.erase(w);
  delete w;
  if (ws->tearingDown && ws->live.empty()) napi_remove_async_cleanup_hook(ws->hook);
}

// The thread ends: every watch is closed (its process goes on, unwatched, as Node's own children do); the hook
// is removed once the last handle has closed, those already closing included.
void teardown(napi_async_cleanup_hook_handle hook, void* arg) {
  Watches* ws = static_cast<Watches*>(arg);
  ws->hook = hook;
  ws->tearingDown = true;
  if (ws->live.empty()) {
    napi_remove_async_cleanup_hook(hook);
    return;
  }
  std::vector<ExitWatch*> all(ws->live.begin(), ws->live.end());
  for (ExitWatch* w : all) {
    if (w->closing) continue;
    w->closing = true;
    uv_poll_stop(&w->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), closed);
  }
}

void readable(uv_poll_t* h, int status, int) {
  ExitWatch* w = static_cast<ExitWatch*>(h->data);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PID, static_cast<id_t>(w->pid), &si, WEXITED | WNOHANG);
  // Not exited yet: a spurious wake-up, or a poll error (none is known for a pidfd), which keeps waiting.
  if (r == 0 && si.si_pid == 0) return;
  uv_poll_stop(h);
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, args[2];
  napi_get_reference_value(env, w->onExit, &cb);
  napi_get_global(env, &recv);  // napi_make_callback wants an object
  napi_get_null(env, &args[0]);
  napi_get_null(env, &args[1]);
  if (r == 0 && si.si_code == CLD_EXITED) napi_create_int32(env, si.si_status, &args[0]);
  else if (r == 0 && (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)) napi_create_int32(env, si.si_status, &args[1]);
  // Anything else (ECHILD: reaped by someone else) is an exit of which nothing is known: (null, null).
  napi_value ignored;
  if (napi_make_callback(env, w->context, recv, cb, 2, args, &ignored) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);  // as Node does with a callback that throws: 'uncaughtException'
  }
  napi_close_handle_scope(env, scope);
  napi_async_destroy(env, w->context);
  napi_delete_reference(env, w->onExit);
  w->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(h), closed);
  (void)status;
}

#endif

napi_value WatchExit(napi_env env, napi_callback_info info) {
#if !SPAWN_AVAILABLE
  return throwError(env, "spawn.watchExit: not available on this system");
#else
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t pid;
  napi_valuetype t;
  if (argc != 2 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0 || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    return throwError(env, "spawn.watchExit: expected (pid, onExit)");
  }
  int fd = pidfdOpen(pid);
  if (fd < 0) {
    // A process whose end nobody would learn is not left running, nor left a zombie (libuv reaps only its own).
    int e = errno;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return throwErrno(env, e, "spawn.watchExit: pidfd_open");
  }
  Watches* ws = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&ws));
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  ExitWatch* w = new ExitWatch();
  w->pidfd = fd;
  w->pid = pid;
  w->env = env;
  w->owner = ws;
  napi_create_reference(env, argv[1], 1, &w->onExit);
  napi_value name;
  napi_create_string_utf8(env, "audiofs:exit", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &w->context);
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    napi_async_destroy(env, w->context);
    napi_delete_reference(env, w->onExit);
    close(fd);
    delete w;
    return throwError(env, std::string("spawn.watchExit: uv_poll_init: ") + uv_err_name(rc));
  }
  w->poll.data = w;
  ws->live.insert(w);
  rc = uv_poll_start(&w->poll, UV_READABLE, readable);
  if (rc != 0) {
    // The handle is initialised: it is closed, which frees the watch.
    napi_async_destroy(env, w->context);
    napi_delete_reference(env, w->onExit);
    w->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), closed);
    return throwError(env, std::string("spawn.watchExit: uv_poll_start: ") + uv_err_name(rc));
  }
  return nullptr;
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawn", nullptr, Spawn, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"watchExit", nullptr, WatchExit, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value avail;
#if SPAWN_AVAILABLE
  Watches* ws = new Watches();
  napi_set_instance_data(env, ws, [](napi_env, void* data, void*) { delete static_cast<Watches*>(data); }, nullptr);
  napi_add_async_cleanup_hook(env, teardown, ws, &ws->hook);
  napi_get_boolean(env, pidfdsWork(), &avail);
#else
  napi_get_boolean(env, false, &avail);
#endif
  napi_set_named_property(env, exports, "available", avail);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
