// audiofs (patch 5): the kernel's names, and invalidation by path, under libfuse 2.9's high-level API.
//
// libfuse 2.9's high-level API lets the kernel cache entries and attributes for one timeout, mount-wide, and
// has no way to take back what the kernel holds (fuse_invalidate() is a stub): a change the filesystem makes
// by itself (a chain made or dropped by a ctl line) stays unseen until the timeout ends. The low-level API
// can (fuse_lowlevel_notify_inval_entry / _inode), but it takes the kernel's node ids, which fuse.c keeps to
// itself. So this file puts a channel of its own between libfuse and /dev/fuse (fuse_chan_new, public since
// 2.6), reading every request and reply that passes:
//  - it learns the node id of each name the kernel holds from the replies that give one (lookup, mkdir,
//    create), and forgets it as the kernel does (forget, batch forget, unlink, rmdir, rename);
//  - a path then resolves to node ids, and JS can take back a name (its node's attributes and those of every
//    node below it, with directories' listings) or a file's attributes, all with inval_inode, never
//    inval_entry (why: "the notifier" below); a thread of its own sends them, off the JS thread;
//  - a reply's attribute timeout can be set per file: JS's getattr answer may carry one (0 for a file
//    whose size changes by itself: /log, /status), which replaces the mount-wide attr_timeout in the reply
//    sent by the same worker thread (fuse.c answers a lookup, getattr, setattr, mkdir or create on the
//    thread that asked JS);
//  - an entry reply for a request received before an invalidation was asked and sent after it is sent
//    with zero timeouts: the name it describes may be the one just taken back.
// Requests are read with read(2) exactly as libfuse's own channel does (fuse_kern_chan.c), and replies
// written with writev(2); nothing is changed but the timeouts named above.

#include <fuse_kernel.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/stat.h>

#define KN_NAME_MAX 1024

typedef struct kn_node {
  struct kn_node *name_next;
  struct kn_node *id_next;
  uint64_t nodeid;
  uint64_t parent;
  uint64_t nlookup;
  // From the entry reply (0 if it was short): a directory's listing is taken back with its attributes.
  uint32_t mode;
  char *name;
} kn_node;

// What to take back of a path.
#define KN_ATTRS 0
#define KN_ENTRY 1
// Its attributes and what the kernel cached of its content (a directory's listing, with FOPEN_CACHE_DIR).
#define KN_DATA 2

// One invalidation asked by JS: the nodes whose attributes (and, where `listing` is set, cached content) the
// kernel is told to drop.
typedef struct kn_job {
  struct kn_job *next;
  size_t count;
  uint64_t *nodes;
  uint8_t *listing;
  uint64_t ticket;
} kn_job;

typedef struct {
  pthread_mutex_t lock;
  kn_node **by_name;
  kn_node **by_id;
  size_t buckets;
  size_t count;
  uint32_t proto_minor;
  // Moves (under `lock`) each time an invalidation is asked.
  uint64_t epoch;

  // The notifier: jobs in order, the ticket of the last one queued and of the last one done.
  pthread_mutex_t qlock;
  pthread_cond_t qcond;
  kn_job *head;
  kn_job *tail;
  int stopping;
  int started;
  pthread_t thread;
  uint64_t queued;
  uint64_t done;
  uv_async_t done_async;
  struct fuse_chan *ch;
  // Directories are opened here, not in JS (JS has no opendir), and the kernel keeps their listings.
  int dirs_here;
  // Counter of the requests made here for libfuse (a directory handle for a READDIR without one).
  uint64_t synth;
  // The kernel said at INIT that it opens directories by itself when OPENDIR is ENOSYS (5.1+).
  int no_opendir;
  // The kernel said at INIT that it takes a larger request size (FUSE_MAX_PAGES, 4.20+).
  int max_pages;
  // Handles opened for READDIRs that were answered, to release (by any worker: fuse.c's releasedir waits on
  // the handle's lock until the readdir that replied lets it go).
  pthread_mutex_t release_lock;
  struct kn_release *releases;
} kn_state;

// A directory handle opened by the channel for a READDIR, to release.
struct kn_release {
  struct kn_release *next;
  uint64_t fh;
  struct fuse_in_header in;
};

// Kernel 4.20+: keep this directory's listing (FOPEN_CACHE_DIR), and keep it across opens (FOPEN_KEEP_CACHE).
#define KN_FOPEN_KEEP_CACHE (1 << 1)
#define KN_FOPEN_CACHE_DIR (1 << 3)

// What the request this worker thread serves is, for its reply.
typedef struct {
  uint64_t unique;
  uint32_t opcode;
  uint64_t nodeid;
  uint64_t newdir;
  uint64_t epoch;
  char name[KN_NAME_MAX + 1];
  char newname[KN_NAME_MAX + 1];
} kn_request;

static __thread kn_request kn_req;

static size_t kn_hash_name (uint64_t parent, const char *name) {
  uint64_t h = 1469598103934665603ULL ^ (parent * 0x9E3779B97F4A7C15ULL);
  for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return (size_t) (h ^ (h >> 29));
}

static size_t kn_hash_id (uint64_t id) {
  uint64_t h = id * 0x9E3779B97F4A7C15ULL;
  return (size_t) (h ^ (h >> 31));
}

static void kn_init (kn_state *s) {
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->qlock, NULL);
  pthread_cond_init(&s->qcond, NULL);
  pthread_mutex_init(&s->release_lock, NULL);
  s->buckets = 1024;
  s->by_name = calloc(s->buckets, sizeof(kn_node *));
  s->by_id = calloc(s->buckets, sizeof(kn_node *));
  s->proto_minor = FUSE_KERNEL_MINOR_VERSION;
}

static void kn_link (kn_state *s, kn_node *n) {
  size_t a = kn_hash_name(n->parent, n->name) & (s->buckets - 1);
  n->name_next = s->by_name[a];
  s->by_name[a] = n;
  size_t b = kn_hash_id(n->nodeid) & (s->buckets - 1);
  n->id_next = s->by_id[b];
  s->by_id[b] = n;
}

static void kn_grow (kn_state *s) {
  size_t old = s->buckets;
  kn_node **names = s->by_name;
  kn_node *all = NULL;
  for (size_t i = 0; i < old; i++) {
    for (kn_node *n = names[i], *next; n != NULL; n = next) {
      next = n->name_next;
      n->name_next = all;
      all = n;
    }
  }
  free(s->by_name);
  free(s->by_id);
  s->buckets = old * 2;
  s->by_name = calloc(s->buckets, sizeof(kn_node *));
  s->by_id = calloc(s->buckets, sizeof(kn_node *));
  for (kn_node *n = all, *next; n != NULL; n = next) {
    next = n->name_next;
    kn_link(s, n);
  }
}

static kn_node * kn_find_name (kn_state *s, uint64_t parent, const char *name) {
  for (kn_node *n = s->by_name[kn_hash_name(parent, name) & (s->buckets - 1)]; n != NULL; n = n->name_next) {
    if (n->parent == parent && strcmp(n->name, name) == 0) return n;
  }
  return NULL;
}

static kn_node * kn_find_id (kn_state *s, uint64_t id) {
  for (kn_node *n = s->by_id[kn_hash_id(id) & (s->buckets - 1)]; n != NULL; n = n->id_next) {
    if (n->nodeid == id) return n;
  }
  return NULL;
}

static void kn_unlink (kn_state *s, kn_node *n) {
  kn_node **p = &s->by_name[kn_hash_name(n->parent, n->name) & (s->buckets - 1)];
  while (*p != NULL && *p != n) p = &(*p)->name_next;
  if (*p == n) *p = n->name_next;
  p = &s->by_id[kn_hash_id(n->nodeid) & (s->buckets - 1)];
  while (*p != NULL && *p != n) p = &(*p)->id_next;
  if (*p == n) *p = n->id_next;
}

static void kn_drop (kn_state *s, kn_node *n) {
  kn_unlink(s, n);
  free(n->name);
  free(n);
  s->count--;
}

// The kernel got `nodeid` for `name` in `parent` (one more lookup of it to forget).
static void kn_add (kn_state *s, uint64_t parent, const char *name, uint64_t nodeid, uint32_t mode) {
  kn_node *n = kn_find_id(s, nodeid);
  if (n != NULL && (n->parent != parent || strcmp(n->name, name) != 0)) {
    // Known under another name (a rename we did not see the end of): it is here now.
    kn_unlink(s, n);
    free(n->name);
    n->parent = parent;
    n->name = strdup(name);
    kn_link(s, n);
  }
  if (n == NULL) {
    kn_node *other = kn_find_name(s, parent, name);
    if (other != NULL) kn_drop(s, other);
    if (s->count + 1 > s->buckets) kn_grow(s);
    n = calloc(1, sizeof(kn_node));
    n->nodeid = nodeid;
    n->parent = parent;
    n->name = strdup(name);
    kn_link(s, n);
    s->count++;
  }
  if (mode != 0) n->mode = mode;
  n->nlookup++;
}

static void kn_forget (kn_state *s, uint64_t nodeid, uint64_t nlookup) {
  kn_node *n = kn_find_id(s, nodeid);
  if (n == NULL) return;
  if (n->nlookup <= nlookup) kn_drop(s, n);
  else n->nlookup -= nlookup;
}

static void kn_remove_name (kn_state *s, uint64_t parent, const char *name) {
  kn_node *n = kn_find_name(s, parent, name);
  if (n != NULL) kn_drop(s, n);
}

static void kn_rename (kn_state *s, uint64_t olddir, const char *oldname, uint64_t newdir, const char *newname) {
  kn_node *n = kn_find_name(s, olddir, oldname);
  kn_remove_name(s, newdir, newname);
  if (n == NULL) return;
  kn_unlink(s, n);
  free(n->name);
  n->parent = newdir;
  n->name = strdup(newname);
  kn_link(s, n);
}

// Under `lock`: the node ids of a path ("/a/b/c") as the kernel holds them: the parent's and, if the kernel
// holds it, the last component's (0 if not); `last` points into `path` at the last component. Returns 0 when
// some directory on the way is not held by the kernel (then nothing below it is either).
static int kn_resolve (kn_state *s, const char *path, uint64_t *parent, uint64_t *nodeid, const char **last, size_t *lastlen) {
  uint64_t at = FUSE_ROOT_ID;
  const char *p = path;
  char part[KN_NAME_MAX + 1];
  *last = NULL;
  *lastlen = 0;
  while (*p == '/') p++;
  if (*p == '\0') {
    *parent = 0;
    *nodeid = FUSE_ROOT_ID;
    return 1;
  }
  while (*p != '\0') {
    const char *end = strchr(p, '/');
    size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
    if (len > KN_NAME_MAX) return 0;
    memcpy(part, p, len);
    part[len] = '\0';
    const char *rest = p + len;
    while (*rest == '/') rest++;
    kn_node *n = kn_find_name(s, at, part);
    if (*rest == '\0') {
      *parent = at;
      *nodeid = n != NULL ? n->nodeid : 0;
      *last = p;
      *lastlen = len;
      return 1;
    }
    if (n == NULL) return 0;
    at = n->nodeid;
    p = rest;
  }
  return 0;
}

// --- directories without OPENDIR ---
//
// Every `ls` of a directory cost an OPENDIR round trip to this process (answered in C, but a trip through the
// kernel and a worker thread: ~50 us, most of an `ls -R` of a cached tree). With dirs_here, the first OPENDIR
// is answered ENOSYS: the kernel (5.1+) then opens directories by itself, with no OPENDIR nor RELEASEDIR, and
// keeps their listings (FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE are its defaults then) until told otherwise, as it
// kept them with ours. It sends READDIR with handle 0 only when it holds no listing. fuse.c's readdir needs a
// directory handle: one is opened for that request (an OPENDIR made here and processed by libfuse on this
// thread: fuse.c's opendir, then kn_opendir, all in C; its reply is kept here, not sent), and released once
// answered, as the next request is read (not while replying: fuse.c's readdir holds the handle's lock then;
// fuse.c's releasedir waits for it, so any worker may release it).
// A RELEASEDIR, FSYNCDIR or directory IOCTL with handle 0 is answered here: fuse.c would take 0 for a handle.

// FUSE_NO_OPENDIR_SUPPORT (protocol 7.29; libfuse 2.9's header stops at 7.19): an INIT flag of the kernel's.
#define KN_NO_OPENDIR_SUPPORT (1 << 24)

// FUSE_MAX_PAGES (protocol 7.28): requests of up to max_pages pages (a read of 1 MiB in one request, where
// libfuse 2.9 leaves the kernel's 32 pages, 128 KiB). Set in the INIT reply, which is then sent at the size
// of 7.28's fuse_init_out (64 bytes; the kernel takes a shorter reply as zeros after it).
#define KN_MAX_PAGES_FLAG (1 << 22)
#define KN_MAX_PAGES 256
#define KN_INIT_OUT_SIZE 64
#define KN_INIT_MAX_PAGES_AT 28

// The uniques of requests made here: above any the kernel gives.
#define KN_SYNTH_UNIQUE (1ULL << 62)

// This thread's request made here, waiting for its reply, and the handle opened for its READDIR.
static __thread uint64_t kn_synth_unique;
static __thread int kn_synth_error;
static __thread uint64_t kn_synth_fh;
static __thread uint64_t kn_readdir_fh;
static __thread struct fuse_in_header kn_readdir_in;

// Writes an answer with no argument (an error, or 0) to a request of the kernel's.
static void kn_reply_plain (struct fuse_chan *ch, uint64_t unique, int error) {
  struct fuse_out_header out = { .len = sizeof(struct fuse_out_header), .error = error, .unique = unique };
  struct iovec iov = { .iov_base = &out, .iov_len = sizeof(out) };
  if (writev(fuse_chan_fd(ch), &iov, 1) == -1 && errno != ENOENT) perror("fuse: writing device");
}

// Has libfuse process a request made here (its reply comes back through kn_chan_send, kept, not sent).
static void kn_synth_process (kn_state *s, struct fuse_chan *ch, const struct fuse_in_header *like, uint32_t opcode, const void *arg, size_t arglen) {
  char buf[sizeof(struct fuse_in_header) + 64];
  struct fuse_in_header *h = (struct fuse_in_header *) buf;
  memset(buf, 0, sizeof(buf));
  h->len = (uint32_t) (sizeof(struct fuse_in_header) + arglen);
  h->opcode = opcode;
  h->unique = KN_SYNTH_UNIQUE + 2 * __atomic_add_fetch(&s->synth, 1, __ATOMIC_RELAXED);
  h->nodeid = like->nodeid;
  h->uid = like->uid;
  h->gid = like->gid;
  h->pid = like->pid;
  memcpy(buf + sizeof(struct fuse_in_header), arg, arglen);
  kn_synth_unique = h->unique;
  kn_synth_error = -EIO;
  kn_synth_fh = 0;
  fuse_session_process(fuse_chan_session(ch), buf, h->len, ch);
  kn_synth_unique = 0;
}

// The handle libfuse opened for a READDIR that came without one, or 0.
static uint64_t kn_synth_opendir (kn_state *s, struct fuse_chan *ch, const struct fuse_in_header *in) {
  struct fuse_open_in open;
  memset(&open, 0, sizeof(open));
  open.flags = O_RDONLY | O_DIRECTORY;
  kn_synth_process(s, ch, in, FUSE_OPENDIR, &open, sizeof(open));
  return kn_synth_error == 0 ? kn_synth_fh : 0;
}

// This thread's READDIR was answered: its handle is to be released (not here: fuse.c holds its lock still).
static void kn_readdir_answered (kn_state *s) {
  if (kn_readdir_fh == 0) return;
  struct kn_release *r = malloc(sizeof(struct kn_release));
  if (r != NULL) {
    r->fh = kn_readdir_fh;
    r->in = kn_readdir_in;
    pthread_mutex_lock(&s->release_lock);
    r->next = s->releases;
    s->releases = r;
    pthread_mutex_unlock(&s->release_lock);
  }
  kn_readdir_fh = 0;
}

// Releases the handles of answered READDIRs (as the next request is read, on whichever worker reads it).
static void kn_synth_release (kn_state *s, struct fuse_chan *ch) {
  if (__atomic_load_n(&s->releases, __ATOMIC_RELAXED) == NULL) return;
  pthread_mutex_lock(&s->release_lock);
  struct kn_release *r = s->releases;
  s->releases = NULL;
  pthread_mutex_unlock(&s->release_lock);
  while (r != NULL) {
    struct kn_release *next = r->next;
    struct fuse_release_in release;
    memset(&release, 0, sizeof(release));
    release.fh = r->fh;
    kn_synth_process(s, ch, &r->in, FUSE_RELEASEDIR, &release, sizeof(release));
    free(r);
    r = next;
  }
}

// Whether the request in `buf` was answered here (then the next one is read). A READDIR without a handle
// gets one, written into `buf`.
static int kn_directory_request (kn_state *s, struct fuse_chan *ch, char *buf, size_t len) {
  struct fuse_in_header *in = (struct fuse_in_header *) buf;
  char *arg = buf + sizeof(struct fuse_in_header);
  size_t arglen = len - sizeof(struct fuse_in_header);
  switch (in->opcode) {
    case FUSE_INIT:
      if (arglen >= sizeof(struct fuse_init_in)) {
        uint32_t flags = ((const struct fuse_init_in *) arg)->flags;
        s->no_opendir = (flags & KN_NO_OPENDIR_SUPPORT) != 0;
        s->max_pages = (flags & KN_MAX_PAGES_FLAG) != 0;
      }
      return 0;
    case FUSE_OPENDIR:
      if (!s->no_opendir) return 0;
      kn_reply_plain(ch, in->unique, -ENOSYS);
      return 1;
    case FUSE_RELEASEDIR:
    case FUSE_FSYNCDIR:
      if (arglen >= sizeof(uint64_t) && *(uint64_t *) arg == 0) {
        kn_reply_plain(ch, in->unique, 0);
        return 1;
      }
      return 0;
    case FUSE_IOCTL:
      if (arglen >= sizeof(struct fuse_ioctl_in) && ((struct fuse_ioctl_in *) arg)->fh == 0 && (((struct fuse_ioctl_in *) arg)->flags & FUSE_IOCTL_DIR)) {
        kn_reply_plain(ch, in->unique, -ENOTTY);
        return 1;
      }
      return 0;
    case FUSE_READDIR:
      if (arglen >= sizeof(struct fuse_read_in) && ((struct fuse_read_in *) arg)->fh == 0) {
        uint64_t fh = kn_synth_opendir(s, ch, in);
        if (fh == 0) {
          kn_reply_plain(ch, in->unique, -EIO);
          return 1;
        }
        ((struct fuse_read_in *) arg)->fh = fh;
        kn_readdir_fh = fh;
        kn_readdir_in = *in;
      }
      return 0;
  }
  return 0;
}

// --- the channel ---

static int kn_chan_receive (struct fuse_chan **chp, char *buf, size_t size) {
  struct fuse_chan *ch = *chp;
  struct fuse_session *se = fuse_chan_session(ch);
  kn_state *s = (kn_state *) fuse_chan_data(ch);
  ssize_t res;
  int err;

restart:
  // The handles opened for READDIRs that were answered.
  if (s->dirs_here) kn_synth_release(s, ch);
  res = read(fuse_chan_fd(ch), buf, size);
  err = errno;
  if (fuse_session_exited(se)) return 0;
  if (res == -1) {
    if (err == ENOENT) goto restart;
    if (err == ENODEV) {
      fuse_session_exit(se);
      return 0;
    }
    if (err != EINTR && err != EAGAIN) perror("fuse: reading device");
    return -err;
  }
  if ((size_t) res < sizeof(struct fuse_in_header)) {
    fprintf(stderr, "short read on fuse device\n");
    return -EIO;
  }

  if (s->dirs_here && kn_directory_request(s, ch, buf, (size_t) res)) goto restart;

  // A new request on this thread: what its reply will need, and no attribute timeout of JS's yet.
  fuse_thread_locals_t *l = (fuse_thread_locals_t *) pthread_getspecific(thread_locals_key);
  if (l != NULL) l->attr_valid_ms = 0;
  struct fuse_in_header *in = (struct fuse_in_header *) buf;
  const char *arg = buf + sizeof(struct fuse_in_header);
  const char *end = buf + res;
  kn_req.unique = in->unique;
  kn_req.opcode = 0;
  kn_req.nodeid = in->nodeid;
  const char *name = NULL;
  switch (in->opcode) {
    case FUSE_LOOKUP:
    case FUSE_UNLINK:
    case FUSE_RMDIR:
      name = arg;
      break;
    case FUSE_MKDIR:
      name = arg + sizeof(struct fuse_mkdir_in);
      break;
    case FUSE_CREATE:
      name = arg + (s->proto_minor >= 12 ? sizeof(struct fuse_create_in) : sizeof(struct fuse_open_in));
      break;
    case FUSE_RENAME:
      if (arg + sizeof(struct fuse_rename_in) < end) {
        kn_req.newdir = ((const struct fuse_rename_in *) arg)->newdir;
        name = arg + sizeof(struct fuse_rename_in);
      }
      break;
    case FUSE_INIT:
    case FUSE_GETATTR:
    case FUSE_SETATTR:
    case FUSE_OPENDIR:
      kn_req.opcode = in->opcode;
      break;
    case FUSE_FORGET:
      if (arg + sizeof(struct fuse_forget_in) <= end) {
        pthread_mutex_lock(&s->lock);
        kn_forget(s, in->nodeid, ((const struct fuse_forget_in *) arg)->nlookup);
        pthread_mutex_unlock(&s->lock);
      }
      break;
    case FUSE_BATCH_FORGET:
      if (arg + sizeof(struct fuse_batch_forget_in) <= end) {
        uint32_t count = ((const struct fuse_batch_forget_in *) arg)->count;
        const struct fuse_forget_one *one = (const struct fuse_forget_one *) (arg + sizeof(struct fuse_batch_forget_in));
        pthread_mutex_lock(&s->lock);
        for (uint32_t i = 0; i < count && (const char *) (one + 1) <= end; i++, one++) kn_forget(s, one->nodeid, one->nlookup);
        pthread_mutex_unlock(&s->lock);
      }
      break;
  }
  if (name != NULL && name < end) {
    size_t len = strnlen(name, end - name);
    if (len <= KN_NAME_MAX && name + len < end) {
      memcpy(kn_req.name, name, len + 1);
      kn_req.opcode = in->opcode;
      if (in->opcode == FUSE_RENAME) {
        const char *second = name + len + 1;
        size_t len2 = strnlen(second, end - second);
        if (len2 <= KN_NAME_MAX && second + len2 < end) memcpy(kn_req.newname, second, len2 + 1);
        else kn_req.opcode = 0;
      }
    }
  }
  if (kn_req.opcode == FUSE_LOOKUP || kn_req.opcode == FUSE_MKDIR || kn_req.opcode == FUSE_CREATE || kn_req.opcode == FUSE_GETATTR || kn_req.opcode == FUSE_SETATTR) {
    kn_req.epoch = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE);
  }
  return res;
}

static void kn_set_valid (uint64_t *valid, uint32_t *nsec, uint32_t ms) {
  *valid = ms / 1000;
  *nsec = (ms % 1000) * 1000000;
}

static int kn_chan_send (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  if (iov == NULL) return 0;
  kn_state *s = (kn_state *) fuse_chan_data(ch);
  const struct fuse_out_header *out = count > 0 && iov[0].iov_len >= sizeof(struct fuse_out_header) ? (const struct fuse_out_header *) iov[0].iov_base : NULL;
  // The reply to a request made here: kept, not sent (the kernel never asked it).
  if (out != NULL && kn_synth_unique != 0 && out->unique == kn_synth_unique) {
    kn_synth_error = out->error;
    if (out->error == 0 && count >= 2 && iov[1].iov_len >= sizeof(struct fuse_open_out)) kn_synth_fh = ((const struct fuse_open_out *) iov[1].iov_base)->fh;
    return 0;
  }
  uint32_t op = out != NULL && out->unique != 0 && out->unique == kn_req.unique && out->error == 0 ? kn_req.opcode : 0;

  // The reply as it will be sent: the same, or with a copy of its argument whose timeouts were changed.
  struct iovec mine[8];
  char arg[512];
  const struct iovec *send = iov;
  uint64_t nodeid = 0;
  uint32_t mode = 0;
  int entry = op == FUSE_LOOKUP || op == FUSE_MKDIR || op == FUSE_CREATE;
  int attr = op == FUSE_GETATTR || op == FUSE_SETATTR;
  if ((entry || attr) && count >= 2 && count <= 8 && iov[1].iov_len <= sizeof(arg) &&
      iov[1].iov_len >= (entry ? sizeof(struct fuse_entry_out) - sizeof(struct fuse_attr) : sizeof(struct fuse_attr_out) - sizeof(struct fuse_attr))) {
    memcpy(mine, iov, count * sizeof(struct iovec));
    memcpy(arg, iov[1].iov_base, iov[1].iov_len);
    mine[1].iov_base = arg;
    send = mine;
    fuse_thread_locals_t *l = (fuse_thread_locals_t *) pthread_getspecific(thread_locals_key);
    uint32_t ms = l != NULL ? l->attr_valid_ms : 0;
    int stale = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE) != kn_req.epoch;
    if (entry) {
      struct fuse_entry_out *e = (struct fuse_entry_out *) arg;
      nodeid = e->nodeid;
      if (iov[1].iov_len >= sizeof(struct fuse_entry_out)) mode = e->attr.mode;
      if (ms != 0) kn_set_valid(&e->attr_valid, &e->attr_valid_nsec, ms - 1);
      if (stale) {
        kn_set_valid(&e->attr_valid, &e->attr_valid_nsec, 0);
        kn_set_valid(&e->entry_valid, &e->entry_valid_nsec, 0);
      }
    } else {
      struct fuse_attr_out *a = (struct fuse_attr_out *) arg;
      if (ms != 0) kn_set_valid(&a->attr_valid, &a->attr_valid_nsec, ms - 1);
      if (stale) kn_set_valid(&a->attr_valid, &a->attr_valid_nsec, 0);
    }
  }

  // A directory opened here: the kernel keeps its listing until told otherwise (KN_DATA).
  if (op == FUSE_OPENDIR && s->dirs_here && send == iov && count >= 2 && count <= 8 && iov[1].iov_len >= sizeof(struct fuse_open_out) && iov[1].iov_len <= sizeof(arg)) {
    memcpy(mine, iov, count * sizeof(struct iovec));
    memcpy(arg, iov[1].iov_base, iov[1].iov_len);
    mine[1].iov_base = arg;
    send = mine;
    ((struct fuse_open_out *) arg)->open_flags |= KN_FOPEN_KEEP_CACHE | KN_FOPEN_CACHE_DIR;
  }

  // The INIT reply: larger requests, where the kernel takes them.
  struct fuse_out_header init_hdr;
  if (op == FUSE_INIT && s->max_pages && send == iov && count == 2 && iov[1].iov_len >= sizeof(struct fuse_init_out) &&
      iov[1].iov_len <= KN_INIT_MAX_PAGES_AT && out != NULL) {
    memcpy(mine, iov, count * sizeof(struct iovec));
    memset(arg, 0, KN_INIT_OUT_SIZE);
    memcpy(arg, iov[1].iov_base, iov[1].iov_len);
    ((struct fuse_init_out *) arg)->flags |= KN_MAX_PAGES_FLAG;
    uint16_t pages = KN_MAX_PAGES;
    memcpy(arg + KN_INIT_MAX_PAGES_AT, &pages, sizeof(pages));
    init_hdr = *out;
    init_hdr.len = sizeof(struct fuse_out_header) + KN_INIT_OUT_SIZE;
    mine[0].iov_base = &init_hdr;
    mine[0].iov_len = sizeof(init_hdr);
    mine[1].iov_base = arg;
    mine[1].iov_len = KN_INIT_OUT_SIZE;
    send = mine;
  }

  ssize_t res = writev(fuse_chan_fd(ch), send, count);
  int err = errno;
  // The reply to a READDIR given a handle by the channel: the handle is released once fuse.c lets it go.
  if (out != NULL && out->unique == kn_req.unique) kn_readdir_answered(s);
  if (res == -1) {
    struct fuse_session *se = fuse_chan_session(ch);
    if (!fuse_session_exited(se) && err != ENOENT) perror("fuse: writing device");
    return -err;
  }

  // What the kernel now holds.
  if (op == FUSE_INIT && count >= 2 && iov[1].iov_len >= 8) {
    s->proto_minor = ((const struct fuse_init_out *) iov[1].iov_base)->minor;
  } else if (entry && nodeid != 0) {
    pthread_mutex_lock(&s->lock);
    kn_add(s, kn_req.nodeid, kn_req.name, nodeid, mode);
    pthread_mutex_unlock(&s->lock);
  } else if (op == FUSE_UNLINK || op == FUSE_RMDIR) {
    pthread_mutex_lock(&s->lock);
    kn_remove_name(s, kn_req.nodeid, kn_req.name);
    pthread_mutex_unlock(&s->lock);
  } else if (op == FUSE_RENAME) {
    pthread_mutex_lock(&s->lock);
    kn_rename(s, kn_req.nodeid, kn_req.name, kn_req.newdir, kn_req.newname);
    pthread_mutex_unlock(&s->lock);
  }
  return 0;
}

static void kn_chan_destroy (struct fuse_chan *ch) {
  int fd = fuse_chan_fd(ch);
  if (fd != -1) close(fd);
}

// The channel in place of libfuse's own (`kch`, whose descriptor it takes over).
static struct fuse_chan * kn_chan_new (struct fuse_chan *kch, kn_state *s) {
  int fd = fcntl(fuse_chan_fd(kch), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return NULL;
  size_t bufsize = fuse_chan_bufsize(kch);
  struct fuse_chan_ops op = {
    .receive = kn_chan_receive,
    .send = kn_chan_send,
    .destroy = kn_chan_destroy,
  };
  struct fuse_chan *ch = fuse_chan_new(&op, fd, bufsize, s);
  if (ch == NULL) {
    close(fd);
    return NULL;
  }
  // libfuse's channel closes its descriptor; the kernel keeps the connection through ours.
  fuse_chan_destroy(kch);
  s->ch = ch;
  return ch;
}

// --- directories opened without JS ---

// The handle of a directory opened here is a copy of its path: readdir hands JS the path, not a handle.
static int kn_opendir (const char *path, struct fuse_file_info *info) {
  char *copy = strdup(path != NULL ? path : "/");
  if (copy == NULL) return -ENOMEM;
  info->fh = (uint64_t) (uintptr_t) copy;
  return 0;
}

static int kn_releasedir (const char *path, struct fuse_file_info *info) {
  (void) path;
  free((void *) (uintptr_t) info->fh);
  info->fh = 0;
  return 0;
}

// --- the notifier ---
//
// Only inval_inode is ever sent. inval_entry (and notify_delete) take the directory's lock in the kernel
// (inode_lock, not killable), which a request JS has not answered may hold: mkdir, create, unlink, rename
// hold it exclusively and lookup or readdir shared, for as long as the request waits. The notifier waits
// then too, which is harmless while JS lives; but if the mount process is killed (kill -9) at that moment,
// the notifier can never leave the kernel, so the process never ends, /dev/fuse is never closed, the
// connection is never aborted and the request never answered: the caller (tar x) and every later caller of
// the mount hang in D state. inval_inode takes no lock a request can hold (attributes under a spinlock; the
// listing's pages are locked only while they are filled, and files are direct_io: no pages at all).
// So a name audiofs dropped is taken back by its node and every node the kernel holds below it: their
// attributes are dropped, and directories' listings; the kernel keeps the (now empty) name until
// entry_timeout, but every stat asks again (ENOENT), every listing asks again, and mkdir, O_EXCL create and
// rename onto the name look it up again whatever the timeout (LOOKUP_EXCL, LOOKUP_RENAME_TARGET).

static void kn_job_free (kn_job *job) {
  free(job->nodes);
  free(job->listing);
  free(job);
}

static void * kn_notifier (void *data) {
  kn_state *s = (kn_state *) data;
  pthread_mutex_lock(&s->qlock);
  for (;;) {
    while (s->head == NULL && !s->stopping) pthread_cond_wait(&s->qcond, &s->qlock);
    kn_job *job = s->head;
    if (job == NULL) break;
    s->head = job->next;
    if (s->head == NULL) s->tail = NULL;
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->qlock);
    // Once the loop ended the descriptor may be closed (and its number taken again): nothing is sent then.
    for (size_t i = 0; i < job->count && !stopping; i++) {
      fuse_lowlevel_notify_inval_inode(s->ch, job->nodes[i], job->listing[i] ? 0 : -1, 0);
    }
    __atomic_store_n(&s->done, job->ticket, __ATOMIC_RELEASE);
    kn_job_free(job);
    uv_async_send(&s->done_async);
    pthread_mutex_lock(&s->qlock);
  }
  pthread_mutex_unlock(&s->qlock);
  return NULL;
}

static void kn_start (kn_state *s) {
  s->started = pthread_create(&s->thread, NULL, kn_notifier, s) == 0;
}

// After the loop: jobs left are answered without being sent, and the thread ends.
static void kn_stop (kn_state *s) {
  pthread_mutex_lock(&s->qlock);
  s->stopping = 1;
  pthread_cond_signal(&s->qcond);
  pthread_mutex_unlock(&s->qlock);
  if (s->started) pthread_join(s->thread, NULL);
  s->started = 0;
}

// Under `lock`: whether `n` is `top` or below it (its parents are walked up: the tree is a few levels deep).
static int kn_is_below (kn_state *s, kn_node *n, uint64_t top) {
  for (int depth = 0; n != NULL && depth < 64; depth++) {
    if (n->nodeid == top) return 1;
    if (n->parent == top) return 1;
    n = kn_find_id(s, n->parent);
  }
  return 0;
}

static int kn_job_add (kn_job *job, size_t *room, uint64_t nodeid, int listing) {
  if (job->count == *room) {
    size_t more = *room == 0 ? 8 : *room * 2;
    uint64_t *nodes = realloc(job->nodes, more * sizeof(uint64_t));
    if (nodes == NULL) return 0;
    job->nodes = nodes;
    uint8_t *lists = realloc(job->listing, more);
    if (lists == NULL) return 0;
    job->listing = lists;
    *room = more;
  }
  job->nodes[job->count] = nodeid;
  job->listing[job->count] = (uint8_t) (listing != 0);
  job->count++;
  return 1;
}

// JS: take back what the kernel holds of `path` (`what`: KN_ATTRS, KN_ENTRY, KN_DATA). Returns the ticket
// the notifier will report done, or 0 when there is nothing to take back.
static uint64_t kn_invalidate (kn_state *s, const char *path, int what) {
  uint64_t parent = 0;
  uint64_t nodeid = 0;
  const char *last = NULL;
  size_t lastlen = 0;
  kn_job *job = calloc(1, sizeof(kn_job));
  if (job == NULL) return 0;
  size_t room = 0;
  int ok = 1;
  pthread_mutex_lock(&s->lock);
  // An entry reply on its way now must not be kept, even for a name not held yet.
  __atomic_add_fetch(&s->epoch, 1, __ATOMIC_ACQ_REL);
  int held = kn_resolve(s, path, &parent, &nodeid, &last, &lastlen);
  if (held && nodeid != 0 && !(what == KN_ENTRY && parent == 0)) {
    if (what == KN_ENTRY) {
      // The name's node and every node the kernel holds below it.
      for (size_t b = 0; b < s->buckets && ok; b++) {
        for (kn_node *n = s->by_id[b]; n != NULL && ok; n = n->id_next) {
          if (kn_is_below(s, n, nodeid)) ok = kn_job_add(job, &room, n->nodeid, S_ISDIR(n->mode));
        }
      }
      kn_node *own = kn_find_id(s, nodeid);
      if (own == NULL && ok) ok = kn_job_add(job, &room, nodeid, 1);
    } else {
      ok = kn_job_add(job, &room, nodeid, what == KN_DATA);
    }
  }
  pthread_mutex_unlock(&s->lock);
  if (job->count == 0 || !ok) {
    kn_job_free(job);
    return 0;
  }

  pthread_mutex_lock(&s->qlock);
  if (s->stopping || !s->started) {
    pthread_mutex_unlock(&s->qlock);
    kn_job_free(job);
    return 0;
  }
  job->ticket = ++s->queued;
  if (s->tail != NULL) s->tail->next = job;
  else s->head = job;
  s->tail = job;
  pthread_cond_signal(&s->qcond);
  pthread_mutex_unlock(&s->qlock);
  return job->ticket;
}
