/*
 * monoclock: print CLOCK_MONOTONIC in nanoseconds. The driver brackets one call between
 * two process.hrtime.bigint() readings to check that Node's clock is the same one
 * sigrecv uses, before it subtracts one from the other.
 */
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  return 0;
}
