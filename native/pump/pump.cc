// audiofs pump: moves bytes from one descriptor to another with splice(2), on a thread of its own,
// so that the bytes between two adjacent stages never pass through JavaScript.
//
//   start(srcFd, dstFd, onFinish) -> handle     a thread splices src -> dst until src's end of file
//                                                (onFinish('end', moved)) or an error (onFinish('error',
//                                                moved, 'EPIPE', 'splice')), or until stop().
//   stop(handle) -> {moved, taken, residue, outcome, code, op}
//                                                wakes and joins the thread (microseconds, whatever the
//                                                peers do) and returns the bytes it had taken from src but
//                                                not delivered to dst (residue), so the caller can deliver
//                                                them first: no byte is lost or duplicated.
//   stats(handle) -> {moved, taken}              counters, readable at any time.
//   pipe() -> [readFd, writeFd]                  a pipe (O_CLOEXEC), for tests and for spawning.
//   socketPair() -> [fd, fd]                     a connected pair of Unix stream sockets (FD_CLOEXEC on
//                                                both; POSIX: everywhere), for a child's stdio.
//   unread(fd) -> bytes                          what was written into a pipe or socket and its reader has
//                                                not read yet (FIONREAD; SIOCOUTQ on a socket's writing end);
//                                                -1 where the system cannot tell (not Linux).
//   closeOnExec(fd) -> true                      sets FD_CLOEXEC on a descriptor (POSIX: everywhere, also
//                                                where splice does not exist); throws with the errno name.
//   available                                   false where splice(2) does not exist (not Linux).
//
// What is guaranteed: every byte read from src is, at any moment, in exactly one place: still in src, in
// dst, or in the pump's own intermediate pipe (only used when neither src nor dst is a pipe, since splice
// needs a pipe on one side). A splice between a pipe or socket and a pipe moves whole buffers under the
// pipes' locks: a call either moved n bytes (and says so) or failed with nothing moved. The thread checks
// for stop only between calls, and stop() joins it, so after stop() the residue is exactly the intermediate
// pipe's contents and nothing is in flight. All descriptors are used non-blocking (SPLICE_F_NONBLOCK and
// O_NONBLOCK) and the thread waits in poll(2) with a wake eventfd: a destination that never drains does not
// delay stop(). Errors are carried to JavaScript as values through a thread-safe function, never thrown
// across threads. SIGPIPE is blocked on the pump's threads (Node ignores it anyway): a closed reader is EPIPE.

#include <node_api.h>

#include "../napi-errors.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <poll.h>
#include <signal.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#define PUMP_AVAILABLE 1
#else
#define PUMP_AVAILABLE 0
#endif

namespace {

using audiofs::descriptorPair;
using audiofs::errnoName;
using audiofs::throwError;

enum Outcome { RUNNING = 0, ENDED = 1, FAILED = 2, STOPPED = 3 };

const char* outcomeName(int o) {
  switch (o) {
    case ENDED: return "end";
    case FAILED: return "error";
    case STOPPED: return "stopped";
    default: return "running";
  }
}

struct Pump {
  int src = -1, dst = -1;
  int mid[2] = {-1, -1};  // intermediate pipe, when neither src nor dst is a pipe
  int wake = -1;          // eventfd: stop() writes it
  int ownDst = -1;        // a duplicate of dst the pump owns (a feed from a file), closed when it is joined
  std::atomic<uint64_t> moved{0};  // bytes written to dst
  std::atomic<uint64_t> taken{0};  // bytes taken from src
  std::atomic<bool> stopping{false};
  std::atomic<int> outcome{RUNNING};
  int err = 0;
  const char* op = "";
  std::thread thread;
  bool joined = false;
  napi_threadsafe_function tsfn = nullptr;
};

// What the thread reports when it finishes on its own (by value: the handle may be gone by then).
struct Finish {
  int outcome;
  uint64_t moved;
  int err;
  const char* op;
};

#if PUMP_AVAILABLE

const size_t CHUNK = 1 << 20;
const unsigned FLAGS = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;

bool isPipe(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool setNonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

// One splice path, in -> out, with what poll last said of each side.
struct Leg {
  int in, out;
  bool inReady = true, outReady = true;
};

void run(Pump* p) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const bool viaMid = p->mid[0] >= 0;
  Leg a{p->src, viaMid ? p->mid[1] : p->dst};
  Leg b{p->mid[0], p->dst};
  bool srcEnded = false;
  uint64_t inMid = 0;
  auto fail = [&](const char* op) {
    p->err = errno;
    p->op = op;
    p->outcome = FAILED;
  };

  while (!p->stopping.load()) {
    bool progress = false;
    if (!srcEnded && a.inReady && a.outReady) {
      ssize_t n = splice(a.in, nullptr, a.out, nullptr, CHUNK, FLAGS);
      if (n > 0) {
        progress = true;
        p->taken += n;
        if (viaMid) { inMid += n; b.inReady = true; } else p->moved += n;
      } else if (n == 0) {
        srcEnded = true;
      } else if (errno == EAGAIN) {
        a.inReady = a.outReady = false;
      } else if (errno != EINTR) {
        fail("splice");
        break;
      }
    }
    if (viaMid && inMid > 0 && b.outReady) {
      ssize_t n = splice(b.in, nullptr, b.out, nullptr, CHUNK, FLAGS);
      if (n > 0) {
        progress = true;
        inMid -= n;
        p->moved += n;
        a.outReady = true;
      } else if (n < 0 && errno == EAGAIN) {
        b.outReady = false;
      } else if (n < 0 && errno != EINTR) {
        fail("splice");
        break;
      }
    }
    if (srcEnded && inMid == 0) {
      p->outcome = ENDED;
      break;
    }
    if (progress) continue;

    // Nothing moved: wait for a side that was not ready (never for one already known ready, or poll
    // would return at once and spin), or for stop().
    struct pollfd fds[4];
    int n = 0;
    fds[n++] = {p->wake, POLLIN, 0};
    int ia = -1, oa = -1, ob = -1;
    if (!srcEnded && !a.inReady) { ia = n; fds[n++] = {a.in, POLLIN, 0}; }
    if (!srcEnded && !a.outReady) { oa = n; fds[n++] = {a.out, POLLOUT, 0}; }
    if (viaMid && inMid > 0 && !b.outReady) { ob = n; fds[n++] = {b.out, POLLOUT, 0}; }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
      break;
    }
    // Any event (readable, writable, hang-up, error) makes that side worth a try: the splice says which.
    if (ia >= 0 && fds[ia].revents) a.inReady = true;
    if (oa >= 0 && fds[oa].revents) a.outReady = true;
    if (ob >= 0 && fds[ob].revents) b.outReady = true;
  }
  if (p->outcome.load() == RUNNING) p->outcome = STOPPED;

  if (p->outcome.load() != STOPPED) {
    Finish* f = new Finish{p->outcome.load(), p->moved.load(), p->err, p->op};
    if (napi_call_threadsafe_function(p->tsfn, f, napi_tsfn_nonblocking) != napi_ok) delete f;
  }
  napi_release_threadsafe_function(p->tsfn, napi_tsfn_release);
}

// Joins the thread after asking it to stop; the residue is read from the intermediate pipe.
std::vector<char> halt(Pump* p) {
  std::vector<char> residue;
  if (p->joined) return residue;
  p->stopping = true;
  uint64_t one = 1;
  ssize_t w = write(p->wake, &one, sizeof one);
  (void)w;
  p->thread.join();
  p->joined = true;
  if (p->ownDst >= 0) {
    close(p->ownDst);
    p->ownDst = -1;
  }
  if (p->mid[0] >= 0) {
    char buf[65536];
    for (;;) {
      ssize_t n = read(p->mid[0], buf, sizeof buf);
      if (n > 0) residue.insert(residue.end(), buf, buf + n);
      else if (n < 0 && errno == EINTR) continue;
      else break;
    }
    close(p->mid[0]);
    close(p->mid[1]);
    p->mid[0] = p->mid[1] = -1;
  }
  close(p->wake);
  p->wake = -1;
  return residue;
}

// A pump whose start failed before its thread ran: what it had opened is closed.
void discard(Pump* p) {
  for (int fd : {p->mid[0], p->mid[1], p->wake, p->ownDst}) {
    if (fd >= 0) close(fd);
  }
  delete p;
}

#endif  // PUMP_AVAILABLE

void finalizePump(napi_env, void* data, void*) {
  Pump* p = static_cast<Pump*>(data);
#if PUMP_AVAILABLE
  halt(p);
#endif
  delete p;
}

void callFinish(napi_env env, napi_value cb, void*, void* data) {
  Finish* f = static_cast<Finish*>(data);
  if (env != nullptr && cb != nullptr) {
    napi_value args[4], undef;
    napi_create_string_utf8(env, outcomeName(f->outcome), NAPI_AUTO_LENGTH, &args[0]);
    napi_create_double(env, static_cast<double>(f->moved), &args[1]);
    napi_get_undefined(env, &undef);
    if (f->outcome == FAILED) {
      std::string code = errnoName(f->err);
      napi_create_string_utf8(env, code.c_str(), NAPI_AUTO_LENGTH, &args[2]);
      napi_create_string_utf8(env, f->op, NAPI_AUTO_LENGTH, &args[3]);
    } else {
      args[2] = undef;
      args[3] = undef;
    }
    napi_call_function(env, undef, cb, 4, args, nullptr);
  }
  delete f;
}

Pump* unwrap(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<Pump*>(data);
}

napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t src, dst;
  double from = -1;
  napi_valuetype cbType;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &src) != napi_ok || napi_get_value_int32(env, argv[1], &dst) != napi_ok ||
      napi_typeof(env, argv[2], &cbType) != napi_ok || cbType != napi_function ||
      (argc == 4 && (napi_get_value_double(env, argv[3], &from) != napi_ok || from < 0)))
    return throwError(env, "pump.start: expected (srcFd, dstFd, onFinish[, fromByte of a regular file])");
#if !PUMP_AVAILABLE
  return throwError(env, "pump.start: splice(2) is not available on this system");
#else
  // A regular file is read from `from` to its end of file (splice from a file uses and moves its offset).
  if (from >= 0 && lseek(src, static_cast<off_t>(from), SEEK_SET) < 0) return throwError(env, "pump.start: lseek: " + errnoName(errno));
  if (!setNonblocking(src) || !setNonblocking(dst)) return throwError(env, "pump.start: fcntl: " + errnoName(errno));
  Pump* p = new Pump();
  p->src = src;
  p->dst = dst;
  // A feed writes a process's stdin, which Node closes when the process exits: the pump writes its own
  // duplicate, so a descriptor number reused meanwhile never receives the bytes.
  if (from >= 0) {
    p->ownDst = fcntl(dst, F_DUPFD_CLOEXEC, 0);
    if (p->ownDst < 0) {
      int e = errno;
      discard(p);
      return throwError(env, "pump.start: fcntl(F_DUPFD_CLOEXEC): " + errnoName(e));
    }
    p->dst = p->ownDst;
  }
  if (!isPipe(src) && !isPipe(dst)) {
    if (pipe2(p->mid, O_CLOEXEC | O_NONBLOCK) != 0) {
      int e = errno;
      discard(p);
      return throwError(env, "pump.start: pipe2: " + errnoName(e));
    }
    // The default 16 slots: what stop() hands back stays small (a slot can hold a socket's 32 KiB frag).
  }
  p->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (p->wake < 0) {
    int e = errno;
    discard(p);
    return throwError(env, "pump.start: eventfd: " + errnoName(e));
  }
  napi_value name;
  napi_create_string_utf8(env, "audiofs-pump", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[2], nullptr, name, 0, 1, nullptr, nullptr, nullptr, callFinish, &p->tsfn) != napi_ok) {
    discard(p);
    return throwError(env, "pump.start: cannot create the thread-safe function");
  }
  napi_value handle;
  napi_create_external(env, p, finalizePump, nullptr, &handle);
  p->thread = std::thread(run, p);
  return handle;
#endif
}

napi_value setNumber(napi_env env, napi_value obj, const char* key, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, key, n);
  return obj;
}

napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p = argc == 1 ? unwrap(env, argv[0]) : nullptr;
  if (!p) return throwError(env, "pump.stats: expected a pump handle");
  napi_value obj;
  napi_create_object(env, &obj);
  setNumber(env, obj, "moved", static_cast<double>(p->moved.load()));
  setNumber(env, obj, "taken", static_cast<double>(p->taken.load()));
  return obj;
}

napi_value Stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p = argc == 1 ? unwrap(env, argv[0]) : nullptr;
  if (!p) return throwError(env, "pump.stop: expected a pump handle");
  std::vector<char> residue;
#if PUMP_AVAILABLE
  residue = halt(p);
#endif
  napi_value obj, buf, str;
  napi_create_object(env, &obj);
  setNumber(env, obj, "moved", static_cast<double>(p->moved.load()));
  setNumber(env, obj, "taken", static_cast<double>(p->taken.load()));
  napi_create_buffer_copy(env, residue.size(), residue.data(), nullptr, &buf);
  napi_set_named_property(env, obj, "residue", buf);
  napi_create_string_utf8(env, outcomeName(p->outcome.load()), NAPI_AUTO_LENGTH, &str);
  napi_set_named_property(env, obj, "outcome", str);
  if (p->outcome.load() == FAILED) {
    std::string code = errnoName(p->err);
    napi_create_string_utf8(env, code.c_str(), NAPI_AUTO_LENGTH, &str);
    napi_set_named_property(env, obj, "code", str);
    napi_create_string_utf8(env, p->op, NAPI_AUTO_LENGTH, &str);
    napi_set_named_property(env, obj, "op", str);
  }
  return obj;
}

// pipe([bytes]): a pipe, both ends close-on-exec; with `bytes`, its capacity set to that (F_SETPIPE_SZ), or
// as near as the system allows (the kernel's pipe-max-size for an unprivileged process), never below the default.
napi_value Pipe(napi_env env, napi_callback_info info) {
#if !PUMP_AVAILABLE
  return throwError(env, "pump.pipe: not available on this system");
#else
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t bytes = 0;
  if (argc == 1) napi_get_value_int32(env, argv[0], &bytes);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throwError(env, "pump.pipe: pipe2: " + errnoName(errno));
  for (int32_t size = bytes; size > 65536; size /= 2) {
    if (fcntl(fds[0], F_SETPIPE_SZ, size) >= 0) break;
  }
  return descriptorPair(env, fds);
#endif
}

// socketPair(): a connected pair of Unix stream sockets, both close-on-exec: what Node gives a child's stdio
// ('pipe'), made here so that a child started on another thread gets descriptors this thread owns.
napi_value SocketPair(napi_env env, napi_callback_info) {
  int fds[2];
#ifdef SOCK_CLOEXEC
  // Close-on-exec from the start: the spawning thread may start a process between two calls here.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throwError(env, "pump.socketPair: socketpair: " + errnoName(errno));
#else
  // Where SOCK_CLOEXEC does not exist (macOS) a process started meanwhile may inherit the pair.
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return throwError(env, "pump.socketPair: socketpair: " + errnoName(errno));
  for (int fd : fds) {
    int flags = fcntl(fd, F_GETFD);
    if (flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
      int e = errno;
      close(fds[0]);
      close(fds[1]);
      return throwError(env, "pump.socketPair: fcntl: " + errnoName(e));
    }
  }
#endif
  return descriptorPair(env, fds);
}

// The one descriptor argument of a call (false, with `fd` -1, when there is none).
bool descriptorArg(napi_env env, napi_callback_info info, int32_t* fd) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  *fd = -1;
  return argc == 1 && napi_get_value_int32(env, argv[0], fd) == napi_ok && *fd >= 0;
}

napi_value Unread(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!descriptorArg(env, info, &fd)) return throwError(env, "pump.unread: expected a descriptor");
  int n = -1;
#if PUMP_AVAILABLE
  struct stat st;
  if (fstat(fd, &st) != 0) return throwError(env, "pump.unread: fstat: " + errnoName(errno));
  if (ioctl(fd, S_ISSOCK(st.st_mode) ? SIOCOUTQ : FIONREAD, &n) != 0) return throwError(env, "pump.unread: ioctl: " + errnoName(errno));
#endif
  napi_value result;
  napi_create_int32(env, n, &result);
  return result;
}

napi_value CloseOnExec(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!descriptorArg(env, info, &fd)) return throwError(env, "pump.closeOnExec: expected a descriptor");
  int flags = fcntl(fd, F_GETFD);
  if (flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) return throwError(env, "pump.closeOnExec: fcntl: " + errnoName(errno));
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  return yes;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stop", nullptr, Stop, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pipe", nullptr, Pipe, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"socketPair", nullptr, SocketPair, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"closeOnExec", nullptr, CloseOnExec, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unread", nullptr, Unread, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value avail;
  napi_get_boolean(env, PUMP_AVAILABLE != 0, &avail);
  napi_set_named_property(env, exports, "available", avail);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
