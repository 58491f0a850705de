/*
 * zgen N MODE TIMEOUT_MS: hand N orphans to PID 1 and time how long PID 1 takes to
 * reap them. Run it as the child of the init under test, inside a new PID namespace.
 *
 * An intermediate process forks N children and exits, so the kernel re-parents all N
 * to PID 1 (the init). Then:
 *   storm: the N children are alive, blocked reading one pipe; t0 is taken just before
 *          we close the pipe's last write end, so all N exit at once (a SIGCHLD storm).
 *          The time includes the kernel's exit work for N processes.
 *   dead:  every child has exited before the intermediate does (it waits for each with
 *          WNOWAIT, which leaves the zombie in place); t0 is taken when the intermediate
 *          says, through a second pipe, that it is about to exit: the N zombies are handed
 *          to PID 1 by that exit, and PID 1 is told about each one at once (SIGCHLD), so
 *          waiting for the intermediate to be reaped first would start the clock late.
 * We poll PID 1's children every 100 us until only we are left, or TIMEOUT_MS passes.
 * Orphans go to the reaper's main thread, so we read /proc/1/task/1/children only:
 * reading every thread's list (ZGEN_ALL_TASKS=1) slows a multi-threaded init like Node
 * down measurably (each read walks up to N children under the tasklist lock, which
 * reaping needs too). At the end we check every thread's list once.
 *
 * Prints one JSON line:
 *   {"mode":..,"n":..,"ms":..,"remaining":..,"remaining_any_thread":..,"handed":..,
 *    "init_hwm_kb":..,"init_rss_kb":..}
 * handed = PID 1's children other than us once the intermediate is reaped (storm: must be
 * N; dead: N minus what the init has reaped already).
 * Exit status: 0 when all were reaped, 1 on timeout, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t self;
static int all_tasks; /* ZGEN_ALL_TASKS=1: read every thread's list, not only the main thread's */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Count PID 1's children other than us, over every thread of PID 1. */
static int others(void) {
  static char buf[1 << 17];
  int count = 0;
  DIR *d = all_tasks ? opendir("/proc/1/task") : NULL;
  if (all_tasks && !d) return -1;
  struct dirent one = {.d_name = "1"};
  struct dirent *e;
  int first = 1;
  while ((e = d ? readdir(d) : (first ? &one : NULL)) != NULL) {
    first = 0;
    if (e->d_name[0] == '.') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/1/task/%s/children", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)r;
    close(fd);
    buf[len] = '\0';
    char *p = buf;
    while (*p) {
      char *end;
      long v = strtol(p, &end, 10);
      if (end == p) break;
      if (v > 0 && v != self) count++;
      p = end;
    }
  }
  if (d) closedir(d);
  return count;
}

/* VmHWM and VmRSS of PID 1, in kB (-1 when unreadable). */
static void init_mem(long *hwm, long *rss) {
  *hwm = *rss = -1;
  FILE *f = fopen("/proc/1/status", "re");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) *hwm = strtol(line + 6, NULL, 10);
    if (strncmp(line, "VmRSS:", 6) == 0) *rss = strtol(line + 6, NULL, 10);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: zgen N storm|dead [TIMEOUT_MS]\n");
    return 2;
  }
  int n = atoi(argv[1]);
  int storm = strcmp(argv[2], "storm") == 0;
  if (n <= 0 || (!storm && strcmp(argv[2], "dead") != 0)) {
    fprintf(stderr, "zgen: N must be > 0 and MODE storm or dead\n");
    return 2;
  }
  double timeout = argc > 3 ? atof(argv[3]) : 10000;
  self = getpid();
  all_tasks = getenv("ZGEN_ALL_TASKS") != NULL && strcmp(getenv("ZGEN_ALL_TASKS"), "1") == 0;
  if (self != 1 && getppid() != 1) {
    /* Not fatal, but the figures would be meaningless: we time PID 1. */
    fprintf(stderr, "zgen: warning: our parent is not PID 1 of this namespace\n");
  }

  int pfd[2], rfd[2];
  if (pipe(pfd) < 0 || pipe(rfd) < 0) { perror("pipe"); return 2; }

  pid_t mid = fork();
  if (mid < 0) { perror("fork"); return 2; }
  if (mid == 0) {
    /* Intermediate: fork N children, make sure they are where the mode wants them, exit. */
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    int made = 0;
    for (int i = 0; i < n; i++) {
      pid_t c = fork();
      if (c < 0) break;
      if (c == 0) {
        if (storm) {
          char b;
          close(pfd[1]);
          while (read(pfd[0], &b, 1) < 0 && errno == EINTR) {}
        }
        _exit(0);
      }
      pids[made++] = c;
    }
    if (!storm) {
      /* Wait until each one is a zombie, without reaping it. */
      for (int i = 0; i < made; i++) {
        siginfo_t si;
        while (waitid(P_PID, (id_t)pids[i], &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
      }
    }
    char ok = made == n ? 'y' : 'n';
    ssize_t w = write(rfd[1], &ok, 1);
    (void)w;
    _exit(made == n ? 0 : 3);
  }
  close(pfd[0]);
  close(rfd[1]);
  char ok = 'n';
  while (read(rfd[0], &ok, 1) < 0 && errno == EINTR) {}
  double t0 = now_ms();
  close(rfd[0]);
  int st = 0;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "zgen: intermediate failed (status %d): could not fork %d children\n", st, n);
    close(pfd[1]);
    return 2;
  }
  /* exit_notify re-parents every child before the intermediate becomes waitable,
     so all N are PID 1's children now (or, in dead mode, already reaped by it). */
  int handed = others();
  if (storm) {
    t0 = now_ms();
    close(pfd[1]);
  }
  int left = handed;
  double end = t0 + timeout;
  while (left > 0 && now_ms() < end) {
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
    left = others();
  }
  double ms = now_ms() - t0;
  /* Cross-check over every thread's list, in case an orphan sits on another thread. */
  all_tasks = 1;
  int left_any = others();
  long hwm, rss;
  init_mem(&hwm, &rss);
  printf("{\"mode\":\"%s\",\"n\":%d,\"ms\":%.3f,\"remaining\":%d,\"remaining_any_thread\":%d,\"handed\":%d,\"init_hwm_kb\":%ld,\"init_rss_kb\":%ld}\n",
         storm ? "storm" : "dead", n, ms, left, left_any, handed, hwm, rss);
  fflush(stdout);
  return left == 0 && left_any == 0 ? 0 : 1;
}
