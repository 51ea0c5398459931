// The floor of FUSE on this machine, for bench/meta and bench/junctions: libfuse 2.9's high-level API with every
// request answered on the FUSE thread itself (no hand-over to another thread, no work behind it).
//   /ctl     takes writes and keeps nothing (a ctl line's round trip);
//   /stream  reads as HELLO_STREAM_BYTES zero bytes per open (default 1 GiB), each read answered at once with a
//            copy from memory, in requests of 128 KiB (libfuse 2.9 cannot ask the kernel for larger ones): the
//            fastest any reader of a live stream through FUSE can go here, whatever the server does.
#define FUSE_USE_VERSION 26
#include <fuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>

#define STREAM_IO (128 * 1024)
static char zeros[STREAM_IO];
static uint64_t stream_bytes = 1ull << 30;

static int h_getattr(const char *path, struct stat *st) {
  memset(st, 0, sizeof(*st));
  if (strcmp(path, "/") == 0) { st->st_mode = S_IFDIR | 0755; st->st_nlink = 2; return 0; }
  if (strcmp(path, "/ctl") == 0) { st->st_mode = S_IFREG | 0666; st->st_nlink = 1; st->st_size = 0; return 0; }
  if (strcmp(path, "/stream") == 0) { st->st_mode = S_IFREG | 0444; st->st_nlink = 1; st->st_size = 0; st->st_blksize = STREAM_IO; return 0; }
  return -ENOENT;
}
static int h_open(const char *path, struct fuse_file_info *fi) {
  if (strcmp(path, "/stream") == 0) {
    // What is left to read of this open.
    uint64_t *left = malloc(sizeof(uint64_t));
    if (left == NULL) return -ENOMEM;
    *left = stream_bytes;
    fi->fh = (uint64_t) (uintptr_t) left;
    fi->direct_io = 1;
    return 0;
  }
  return strcmp(path, "/ctl") == 0 ? 0 : -ENOENT;
}
static int h_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  uint64_t *left = (uint64_t *) (uintptr_t) fi->fh;
  if (left == NULL) return -EBADF;
  size_t n = size < *left ? size : (size_t) *left;
  for (size_t at = 0; at < n; at += STREAM_IO) memcpy(buf + at, zeros, n - at < STREAM_IO ? n - at : STREAM_IO);
  *left -= n;
  return (int) n;
}
static int h_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) { return size; }
static int h_flush(const char *path, struct fuse_file_info *fi) { return 0; }
static int h_release(const char *path, struct fuse_file_info *fi) {
  free((void *) (uintptr_t) fi->fh);
  return 0;
}
static int h_truncate(const char *path, off_t size) { return 0; }
static struct fuse_operations ops = { .getattr = h_getattr, .open = h_open, .read = h_read, .write = h_write, .flush = h_flush, .release = h_release, .truncate = h_truncate };
int main(int argc, char *argv[]) {
  const char *bytes = getenv("HELLO_STREAM_BYTES");
  if (bytes != NULL) stream_bytes = strtoull(bytes, NULL, 10);
  return fuse_main(argc, argv, &ops, NULL);
}
