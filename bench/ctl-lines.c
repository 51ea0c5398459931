// Times ctl lines as a shell's `echo LINE >> ctl` makes them (open O_APPEND, write, close), with no JIT
// compiler of its own beside the mount (a Node client's compiled its loop on another thread now and then,
// and the mount's threads waited for the CPU it held): for bench/meta. Reads lines from stdin, appends each
// to the file named by argv[1], prints the milliseconds each took, one a line. Exits 1 on a failed call.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ctl-lines CTL < lines\n");
    return 2;
  }
  static char line[65536];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    double t = now_ms();
    int fd = open(argv[1], O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, line, n) != (ssize_t)n || close(fd) != 0) {
      fprintf(stderr, "ctl-lines: %s: %s\n", argv[1], strerror(errno));
      return 1;
    }
    printf("%.4f\n", now_ms() - t);
  }
  return 0;
}
