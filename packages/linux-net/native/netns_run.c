// netns_run: doing a piece of plain system-call work inside another
// network namespace on the calling thread, and coming back. Kept apart
// from netns.c (no N-API here) so the C unit tests can link it.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns_run.h"

_Thread_local int rtnetlink_netns = -1;

int netns_run(int target, void (*work)(void *context), void *context) {
  if (target < 0) {
    work(context);
    return 0;
  }
  // The thread's own namespace, held before leaving it: the way back
  // must not depend on a path that could name another namespace by then.
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return errno;
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(original);
    return err;
  }
  work(context);
  if (setns(original, CLONE_NEWNET) != 0) {
    // Every later socket, netlink request and child process of this
    // thread would silently act in the container's namespace: stop here.
    int err = errno;
    fprintf(stderr,
            "@incusx/linux-net: FATAL: could not return the thread to its own network namespace after working in another one "
            "(setns: %s); aborting rather than continue in the wrong namespace\n",
            strerror(err));
    abort();
  }
  close(original);
  return 0;
}
