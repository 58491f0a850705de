/*
 * sigrecv OUT [TIMEOUT_MS]: record when SIGTERM reaches us.
 *
 * Installs a SIGTERM handler that reads CLOCK_MONOTONIC first thing, then creates
 * OUT.ready and sleeps. Once the signal has arrived it writes the time, in nanoseconds,
 * to OUT (through OUT.tmp and a rename, so a reader never sees half a number) and exits 0.
 * Exits 1 if no SIGTERM came within TIMEOUT_MS (default 10000), so it never lingers.
 *
 * The sender takes CLOCK_MONOTONIC just before kill(); receive - send is the latency
 * the init in between adds (plus the kernel's wake-up, measured alone by running
 * sigrecv itself as PID 1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, timed_out;
static struct timespec received;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
}

static void on_term(int sig) {
  (void)sig;
  clock_gettime(CLOCK_MONOTONIC, &received); /* async-signal-safe */
  got = 1;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  int ok = write(fd, text, len) == (ssize_t)len;
  close(fd);
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sigrecv OUT [TIMEOUT_MS]\n");
    return 2;
  }
  const char *out = argv[1];
  long timeout_ms = argc > 2 ? atol(argv[2]) : 10000;

  /* Block SIGTERM while we set up and sleep in sigsuspend, so the signal cannot slip
     in between the "got" check and the wait. */
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  /* A timer bounds our life. It needs a handler: at its default action SIGALRM would be
     dropped when we are PID 1 (the baseline run). */
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);

  char path[4096];
  snprintf(path, sizeof path, "%s.ready", out);
  if (write_file(path, "ready\n") < 0) {
    perror(path);
    return 2;
  }

  unsigned secs = (unsigned)((timeout_ms + 999) / 1000);
  alarm(secs);
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGALRM);
  while (!got && !timed_out) sigsuspend(&wait_mask);
  alarm(0);
  if (!got) {
    fprintf(stderr, "sigrecv: no SIGTERM within %ld ms\n", timeout_ms);
    return 1;
  }

  char text[64];
  snprintf(text, sizeof text, "%lld\n", (long long)received.tv_sec * 1000000000LL + received.tv_nsec);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  if (write_file(tmp, text) < 0 || rename(tmp, out) < 0) {
    perror(out);
    return 2;
  }
  return 0;
}
