// Times whole reads of a file as `cat` makes them (open, read to the end in 128 KiB reads, close), every
// INTERVAL ms until its stdin closes: for bench/status-during-export. A C client has no JIT compiler of its
// own beside the mount (a Node client compiled its own code on another thread now and then, and the mount's
// threads waited for the CPU it held). Prints the milliseconds each read took, one a line; exits 1 on an error.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: read-timer FILE INTERVAL_MS (until stdin closes)\n");
    return 2;
  }
  int interval = atoi(argv[2]);
  static char buf[128 * 1024];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    double t = now_ms();
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "read-timer: %s: %s\n", argv[1], strerror(errno));
      return 1;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {}
    if (n < 0 || close(fd) != 0) {
      fprintf(stderr, "read-timer: %s: %s\n", argv[1], strerror(errno));
      return 1;
    }
    printf("%.4f\n", now_ms() - t);
    struct pollfd in = { .fd = 0, .events = POLLIN };
    if (poll(&in, 1, interval) > 0) {
      char c;
      if (read(0, &c, 1) <= 0) return 0;
    }
  }
}
