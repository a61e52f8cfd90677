// LD_PRELOAD shim for src/netns-handle.test.ts: lets the first setns(2)
// through and fails every later one with EPERM, so the addon's way back
// out of a namespace fails and its abort can be seen (in a child process).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>

int setns(int fd, int nstype) {
  static int calls = 0;
  if (++calls > 1) {
    errno = EPERM;
    return -1;
  }
  int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "setns");
  return real(fd, nstype);
}
