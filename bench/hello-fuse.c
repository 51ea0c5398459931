// The floor of a FUSE round trip on this machine, for bench/meta: libfuse 2.9's high-level API with every
// request answered on the FUSE thread itself (no hand-over to another thread). One file, /ctl, that takes
// writes and keeps nothing.
#define FUSE_USE_VERSION 26
#include <fuse.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
static int h_getattr(const char *path, struct stat *st) {
  memset(st, 0, sizeof(*st));
  if (strcmp(path, "/") == 0) { st->st_mode = S_IFDIR | 0755; st->st_nlink = 2; return 0; }
  if (strcmp(path, "/ctl") == 0) { st->st_mode = S_IFREG | 0666; st->st_nlink = 1; st->st_size = 0; return 0; }
  return -ENOENT;
}
static int h_open(const char *path, struct fuse_file_info *fi) { return strcmp(path, "/ctl") == 0 ? 0 : -ENOENT; }
static int h_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) { return size; }
static int h_flush(const char *path, struct fuse_file_info *fi) { return 0; }
static int h_release(const char *path, struct fuse_file_info *fi) { return 0; }
static int h_truncate(const char *path, off_t size) { return 0; }
static struct fuse_operations ops = { .getattr = h_getattr, .open = h_open, .write = h_write, .flush = h_flush, .release = h_release, .truncate = h_truncate };
int main(int argc, char *argv[]) { return fuse_main(argc, argv, &ops, NULL); }
