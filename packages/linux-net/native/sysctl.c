// Reading and writing one IPv6 setting of one interface
// (/proc/sys/net/ipv6/conf/IFACE/NAME) inside another network namespace
// without moving the process and without `sysctl` or `ip`.
//
// The files under /proc/sys/net belong to the network namespace of the
// thread that opens them (the kernel looks them up in the opener's
// namespace and binds the open file to that namespace's value), so the
// file is opened inside the target namespace through netns_run (setns in,
// open, setns back, always restored) and read or written afterwards, back
// in the thread's own namespace.
//
// JavaScript API:
//   readIpv6Sysctl(iface: string, name: string, netns?: fd) -> string
//     the file's text without the trailing newline.
//   writeIpv6Sysctl(iface: string, name: string, value: string, netns?: fd) -> void
//   Both throw a RangeError (ERR_INVALID_ARG_VALUE) for a name that is not
//   a plain interface or setting name (see valid_interface_name and
//   valid_setting_name), and a system error: ENODEV (no such interface in
//   that namespace, or IPv6 is off there), ENOENT (no such setting), EINVAL
//   (a value the kernel refuses), EACCES/EPERM.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <node_api.h>

#include "addon.h"

#define IPV6_CONF_DIR "/proc/sys/net/ipv6/conf"
#define SETTING_NAME_MAX 64
#define VALUE_MAX 64

// A name the kernel could give a link (dev_valid_name: not "." or "..",
// no '/', ':' or white space) and that names one interface's directory,
// not the namespace-wide "all" or the "default" for new links.
static int valid_interface_name(const char *name) {
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "all") == 0 || strcmp(name, "default") == 0) return 0;
  for (const char *c = name; *c != '\0'; c++) {
    if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r')) return 0;
  }
  return 1;
}

// The kernel's IPv6 settings are lower-case letters, digits and '_'
// (optimistic_dad, accept_ra_rt_info_max_plen): nothing else is a path.
static int valid_setting_name(const char *name) {
  if (!(name[0] >= 'a' && name[0] <= 'z')) return 0;
  for (const char *c = name; *c != '\0'; c++) {
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) return 0;
  }
  return 1;
}

typedef struct {
  const char *iface;
  const char *name;
  int flags;
  int fd;   // the setting's file, or -1
  int err;  // why it is -1
  int missing_interface;
} SysctlOpen;

static void open_setting(void *context) {
  SysctlOpen *request = context;
  char path[sizeof IPV6_CONF_DIR + IF_NAMESIZE + 1];
  snprintf(path, sizeof path, "%s/%s", IPV6_CONF_DIR, request->iface);
  int dir = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) {
    request->err = errno;
    request->missing_interface = errno == ENOENT;
    return;
  }
  request->fd = openat(dir, request->name, request->flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  request->err = request->fd < 0 ? errno : 0;
  close(dir);
}

// Reads and checks the interface and setting names, then opens the setting in namespace `netns`. Returns the fd, or
// -1 after throwing.
static int open_checked(napi_env env, napi_value iface_value, napi_value name_value, int netns, int flags, char iface[IF_NAMESIZE],
                        char name[SETTING_NAME_MAX]) {
  if (get_interface_name(env, iface_value, iface) == 0) return -1;
  if (get_string_value(env, name_value, "The setting name", name, SETTING_NAME_MAX) == 0) return -1;
  if (!valid_interface_name(iface)) {
    throw_invalid_value(env, "The interface name must name one interface: not \".\", \"..\", \"all\" or \"default\", no '/', ':' or white space");
    return -1;
  }
  if (!valid_setting_name(name)) {
    throw_invalid_value(env, "The setting name must be lower-case letters, digits and '_', starting with a letter");
    return -1;
  }
  SysctlOpen request = {.iface = iface, .name = name, .flags = flags, .fd = -1};
  int entered = netns_run(netns, open_setting, &request);
  if (entered != 0) {
    throw_system_error(env, entered, "setns", "Failed to enter the network namespace");
    return -1;
  }
  if (request.fd < 0) {
    if (request.missing_interface) {
      throw_system_error(env, ENODEV, "open", "Failed to find the interface's IPv6 settings (no such interface, or IPv6 is off on it)");
    } else {
      throw_system_error(env, request.err, "open", "Failed to open the IPv6 setting");
    }
    return -1;
  }
  return request.fd;
}

// Reads the `required` arguments of a call (throwing `usage` when fewer
// are given) into argv and the optional namespace fd after them into
// *netns (-1 without). Returns 1, or 0 after throwing.
static int get_arguments(napi_env env, napi_callback_info info, size_t required, napi_value argv[4], const char *usage, int *netns) {
  size_t argc = required + 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < required) {
    throw_type_error(env, usage);
    return 0;
  }
  *netns = -1;
  return argc <= required || get_netns_fd(env, argv[required], netns);
}

// readIpv6Sysctl(iface, name, netns?)
napi_value ReadIpv6Sysctl(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int netns;
  if (!get_arguments(env, info, 2, argv, "readIpv6Sysctl(iface, name, netns?) takes two or three arguments", &netns)) return NULL;
  char iface[IF_NAMESIZE], name[SETTING_NAME_MAX];
  int fd = open_checked(env, argv[0], argv[1], netns, O_RDONLY, iface, name);
  if (fd < 0) return NULL;
  char text[VALUE_MAX + 1];
  ssize_t length = read(fd, text, VALUE_MAX);
  int err = errno;
  close(fd);
  if (length < 0) return throw_system_error(env, err, "read", "Failed to read the IPv6 setting");
  while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\0')) length--;
  napi_value result;
  if (napi_create_string_utf8(env, text, (size_t)length, &result) != napi_ok) return NULL;
  return result;
}

// writeIpv6Sysctl(iface, name, value, netns?)
napi_value WriteIpv6Sysctl(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int netns;
  if (!get_arguments(env, info, 3, argv, "writeIpv6Sysctl(iface, name, value, netns?) takes three or four arguments", &netns)) return NULL;
  char value[VALUE_MAX];
  size_t length = get_string_value(env, argv[2], "The value", value, sizeof value);
  if (length == 0) return NULL;
  char iface[IF_NAMESIZE], name[SETTING_NAME_MAX];
  int fd = open_checked(env, argv[0], argv[1], netns, O_WRONLY, iface, name);
  if (fd < 0) return NULL;
  ssize_t written = write(fd, value, length);
  int err = written < 0 ? errno : (size_t)written != length ? EIO : 0;
  close(fd);
  if (err != 0) return throw_system_error(env, err, "write", "Failed to write the IPv6 setting");
  return NULL;
}
