// Entering a network namespace in-process, so `incusx forknet dhcp` need
// not start a second Node.js under nsenter.
//
// setns(2) with CLONE_NEWNET moves the calling thread only. Node.js has
// other threads (libuv's thread pool, V8's platform workers), which stay
// where they were; that is safe for what runs after it because every
// namespace-sensitive operation happens on the main thread: sockets are
// created there (node:dgram and this addon), child processes are forked
// from it (so `ip` starts in the new namespace), and /proc/self/... names
// the main thread. Name lookups (dns.lookup, on the thread pool) would
// still use the old namespace; nothing here does them. The call is
// therefore refused on any thread but the main one.
//
// JavaScript API:
//   enterNetns(path: string) -> void   throws a system error (ENOENT, EINVAL for a file that
//                                      is no network namespace, EPERM), or an Error with code
//                                      ERR_NOT_MAIN_THREAD off the main thread
// /sys is not remounted (as with nsenter): read link state through
// netlink or iproute2, not /sys/class/net.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <node_api.h>

#include "addon.h"

// enterNetns(path)
napi_value EnterNetns(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  if (get_string_argument(env, info, "enterNetns(path)", "The namespace path", path, sizeof path) == 0) return NULL;

  if ((pid_t)syscall(SYS_gettid) != getpid()) {
    napi_throw_error(env, "ERR_NOT_MAIN_THREAD", "Only the main thread may enter a network namespace");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_system_error(env, errno, "open", "Failed to open the network namespace");
  int result = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (result != 0) return throw_system_error(env, err, "setns", "Failed to enter the network namespace");
  return NULL;
}
