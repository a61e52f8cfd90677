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
//                                      ERR_NOT_MAIN_THREAD off the main thread. A file that is
//                                      not on nsfs (a FIFO, a device) is refused without being
//                                      opened.
//   openNetns(path: string) -> fd       the same checks, without moving: an fd (close-on-exec)
//                                      that names the namespace until the caller closes it.
//   openRtnetlink(netns?: fd) -> fd     an rtnetlink socket made in that namespace (or the
//                                      thread's), connected to the kernel; the rtnetlink
//                                      functions take it after their netns argument and then
//                                      need no setns. The caller closes it (fs.closeSync).
//                                      Native functions taking a `netns` fd do their socket()
//                                      work inside it through netns_run and come back at once.
// /sys is not remounted (as with nsenter): read link state through
// netlink or iproute2, not /sys/class/net.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <node_api.h>

#include "addon.h"

// The kind of namespace an NS_GET_NSTYPE result names, as namespaces(7) does.
static const char *namespace_kind(int type) {
  switch (type) {
    case CLONE_NEWNS: return "mount";
    case CLONE_NEWUTS: return "UTS";
    case CLONE_NEWIPC: return "IPC";
    case CLONE_NEWPID: return "PID";
    case CLONE_NEWUSER: return "user";
    case CLONE_NEWCGROUP: return "cgroup";
#ifdef CLONE_NEWTIME
    case CLONE_NEWTIME: return "time";
#endif
    default: return "different";
  }
}

// Opens the namespace file at `path` for setns, refusing (with a thrown
// system error) anything but a network namespace. Returns the fd
// (O_RDONLY, close-on-exec) or -1 after throwing.
static int open_netns_fd(napi_env env, const char *path) {
  // Looked up without being opened (O_PATH runs no FIFO or device open:
  // a FIFO blocked this thread for good) and checked to be a namespace
  // file (nsfs) before the very inode is opened through /proc/self/fd.
  int inode = open(path, O_PATH | O_CLOEXEC);
  if (inode < 0) {
    throw_system_error(env, errno, "open", "Failed to open the network namespace");
    return -1;
  }
  struct statfs filesystem;
  if (fstatfs(inode, &filesystem) != 0) {
    int err = errno;
    close(inode);
    throw_system_error(env, err, "fstatfs", "Failed to inspect the network namespace file");
    return -1;
  }
  if (filesystem.f_type != NSFS_MAGIC) {
    close(inode);
    throw_system_error(env, EINVAL, "fstatfs", "It is not a namespace file (such as /run/netns/NAME or /proc/PID/ns/net)");
    return -1;
  }
  char reopen[64];
  snprintf(reopen, sizeof reopen, "/proc/self/fd/%d", inode);
  int fd = open(reopen, O_RDONLY | O_CLOEXEC);
  int open_error = errno;
  close(inode);
  if (fd < 0) {
    throw_system_error(env, open_error, "open", "Failed to open the network namespace");
    return -1;
  }
  // setns would only say EINVAL for a namespace of another kind; name it.
  // ENOTTY (a kernel before 4.11: nsfs is checked above) is left to setns.
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type >= 0 && type != CLONE_NEWNET) {
    close(fd);
    char message[96];
    snprintf(message, sizeof message, "It is a %s namespace, not a network namespace", namespace_kind(type));
    throw_system_error(env, EINVAL, "ioctl", message);
    return -1;
  }
  return fd;
}

// enterNetns(path)
napi_value EnterNetns(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  if (get_string_argument(env, info, "enterNetns(path)", "The namespace path", path, sizeof path) == 0) return NULL;

  if ((pid_t)syscall(SYS_gettid) != getpid()) {
    napi_throw_error(env, "ERR_NOT_MAIN_THREAD", "Only the main thread may enter a network namespace");
    return NULL;
  }
  int fd = open_netns_fd(env, path);
  if (fd < 0) return NULL;
  int result = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (result != 0) return throw_system_error(env, err, "setns", "Failed to enter the network namespace");
  return NULL;
}

// openNetns(path) -> fd
napi_value OpenNetns(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  if (get_string_argument(env, info, "openNetns(path)", "The namespace path", path, sizeof path) == 0) return NULL;
  int fd = open_netns_fd(env, path);
  if (fd < 0) return NULL;
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}

// openRtnetlink(netns?) -> fd
napi_value OpenRtnetlink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int netns = -1;
  if (argc > 0 && !get_netns_fd(env, argv[0], &netns)) return NULL;
  int fd = -1;
  int err = rtnetlink_open(netns, &fd);
  if (err != 0) return throw_system_error(env, err, "socket", "Failed to open an rtnetlink socket in the network namespace");
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}

int get_netns_fd(napi_env env, napi_value value, int *fd) {
  napi_valuetype type = napi_undefined;
  if (value != NULL && napi_typeof(env, value, &type) != napi_ok) return 0;
  if (value == NULL || type == napi_undefined || type == napi_null) {
    *fd = -1;
    return 1;
  }
  uint32_t number = 0;
  if (!get_u32_value(env, value, "The network namespace fd", INT_MAX, &number)) return 0;
  *fd = (int)number;
  return 1;
}
