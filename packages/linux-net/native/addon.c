// The native addon of @incusx/linux-net: registers the functions of
// udp4_device_socket.c (the device-bound DHCPv4 socket, the DHCPv6
// socket and the netlink watcher for other namespaces), netns.c
// (entering or opening a network namespace in-process; netns_run.c works
// inside one), link.c (reading a link and setting its MTU), address.c
// and route.c (adding, removing and listing addresses and routes), all
// three over rtnetlink (rtnetlink.c), sysctl.c (an interface's IPv6
// settings, also in another namespace), and holds the argument and error
// helpers they share.

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <node_api.h>
#include <uv.h>

#include "addon.h"

napi_value make_system_error(napi_env env, int err, const char *syscall, const char *what) {
  char message[256];
  const char *code = uv_err_name(uv_translate_sys_error(err));
  snprintf(message, sizeof message, "%s: %s (%s)", what, strerror(err), code);
  napi_value code_value, message_value, error, errno_value, syscall_value;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok) {
    return NULL;
  }
  if (napi_create_int32(env, -err, &errno_value) == napi_ok) napi_set_named_property(env, error, "errno", errno_value);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) == napi_ok) {
    napi_set_named_property(env, error, "syscall", syscall_value);
  }
  return error;
}

napi_value throw_system_error(napi_env env, int err, const char *syscall, const char *what) {
  napi_value error = make_system_error(env, err, syscall, what);
  if (error == NULL) {
    napi_throw_error(env, uv_err_name(uv_translate_sys_error(err)), what);
  } else {
    napi_throw(env, error);
  }
  return NULL;
}

napi_value throw_rtnetlink_error(napi_env env, int err, const char *syscall, const char *what) {
  const char *refusal = rtnetlink_refusal();
  if (refusal[0] == '\0') return throw_system_error(env, err, syscall, what);
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, refusal);
  return throw_system_error(env, err, syscall, message);
}

int set_u32_property(napi_env env, napi_value object, const char *name, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok ? 0 : ENOMEM;
}

// Every wrong-typed argument ends here. Its definition was once lost and
// the addon, bound lazily, killed the process ("undefined symbol") instead
// of throwing: src/nic-presence.test.ts passes wrong types to catch that.
napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

napi_value throw_invalid_value(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", message);
  return NULL;
}

size_t get_string_value(napi_env env, napi_value value, const char *what, char *out, size_t size) {
  char message[128];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    snprintf(message, sizeof message, "%s must be a string", what);
    throw_type_error(env, message);
    return 0;
  }
  if (length == 0 || length >= size) {
    snprintf(message, sizeof message, "%s must have 1 to %zu bytes (it has %zu)", what, size - 1, length);
    throw_invalid_value(env, message);
    return 0;
  }
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &copied) != napi_ok || copied != length) {
    snprintf(message, sizeof message, "%s could not be read", what);
    throw_invalid_value(env, message);
    return 0;
  }
  if (strlen(out) != length) {
    snprintf(message, sizeof message, "%s must not contain a NUL character", what);
    throw_invalid_value(env, message);
    return 0;
  }
  return length;
}

int get_u32_value(napi_env env, napi_value value, const char *what, uint32_t max, uint32_t *out) {
  char message[128];
  double number = 0;
  if (napi_get_value_double(env, value, &number) != napi_ok) {
    snprintf(message, sizeof message, "%s must be a number", what);
    throw_type_error(env, message);
    return 0;
  }
  // NaN fails every comparison, so it is refused with the rest.
  if (!(number >= 0 && number <= (double)max && number == (double)(uint32_t)number)) {
    snprintf(message, sizeof message, "%s must be a whole number from 0 to %u", what, max);
    throw_invalid_value(env, message);
    return 0;
  }
  *out = (uint32_t)number;
  return 1;
}

size_t get_string_argument(napi_env env, napi_callback_info info, const char *function, const char *what, char *out, size_t size) {
  size_t argc = 1;
  napi_value argv[1];
  char message[128];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 1) {
    snprintf(message, sizeof message, "%s takes one argument", function);
    throw_type_error(env, message);
    return 0;
  }
  return get_string_value(env, argv[0], what, out, size);
}

size_t get_interface_name(napi_env env, napi_value value, char name[IF_NAMESIZE]) {
  return get_string_value(env, value, "The interface name", name, IF_NAMESIZE);
}

typedef struct {
  const char *name;
  unsigned int index;
  int err;
} IndexLookup;

static void look_up_index(void *context) {
  IndexLookup *lookup = context;
  lookup->index = if_nametoindex(lookup->name);
  lookup->err = lookup->index == 0 ? errno : 0;
}

unsigned int interface_index(napi_env env, const char *name) {
  if (rtnetlink_socket >= 0) {
    // Any socket answers SIOCGIFINDEX for its own namespace: the kept one needs no setns.
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IF_NAMESIZE - 1);
    if (ioctl(rtnetlink_socket, SIOCGIFINDEX, &request) != 0) {
      throw_system_error(env, errno, "if_nametoindex", "Failed to find the interface");
      return 0;
    }
    return (unsigned int)request.ifr_ifindex;
  }
  // if_nametoindex asks through a socket of the thread's namespace: made
  // in the one the call works on.
  IndexLookup lookup = {.name = name};
  int entered = netns_run(rtnetlink_netns, look_up_index, &lookup);
  if (entered != 0) {
    throw_system_error(env, entered, "setns", "Failed to enter the network namespace");
    return 0;
  }
  if (lookup.index == 0) throw_system_error(env, lookup.err, "if_nametoindex", "Failed to find the interface");
  return lookup.index;
}

// Calls netlink function `function` (of `arity` arguments) with
// rtnetlink_netns set to the namespace fd of an extra argument, and
// rtnetlink_socket to the socket fd (of openRtnetlink) of a second one,
// if given, and puts them back afterwards: one place to reset them,
// whatever path the function returns by. A socket is checked to be an
// rtnetlink one before it is used.
static napi_value with_netns_argument(napi_env env, napi_callback_info info, size_t arity, napi_callback function) {
  napi_value argv[9];
  size_t argc = arity + 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int netns = -1, socket = -1;
  if (argc > arity && !get_netns_fd(env, argv[arity], &netns)) return NULL;
  if (argc > arity + 1) {
    if (!get_netns_fd(env, argv[arity + 1], &socket)) return NULL;
    int err = socket < 0 ? 0 : rtnetlink_check_socket(socket);
    if (err != 0) return throw_system_error(env, err, "getsockopt", "The netlink socket argument is not an rtnetlink socket");
  }
  int previous_netns = rtnetlink_netns, previous_socket = rtnetlink_socket;
  rtnetlink_netns = netns;
  rtnetlink_socket = socket;
  napi_value result = function(env, info);
  rtnetlink_netns = previous_netns;
  rtnetlink_socket = previous_socket;
  return result;
}

#define IN_NETNS(function, arity) \
  static napi_value function##InNetns(napi_env env, napi_callback_info info) { return with_netns_argument(env, info, arity, function); }
IN_NETNS(LinkInfo, 1)
IN_NETNS(SetMtu, 2)
IN_NETNS(ReplaceAddress, 6)
IN_NETNS(DeleteAddress, 3)
IN_NETNS(ListAddresses, 1)
IN_NETNS(ReplaceRoute, 5)
IN_NETNS(DeleteRoute, 5)
IN_NETNS(ListRoutes, 2)

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"open", NULL, Udp4Open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open6", NULL, Udp6Open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openArp", NULL, ArpOpen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendArp", NULL, ArpSend, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchNetlink", NULL, NetlinkWatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchPidExit", NULL, PidExitWatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, Udp4LocalPort, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, Udp4Send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"filterChaddr", NULL, Udp4FilterChaddr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, Udp4Close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"enterNetns", NULL, EnterNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openNetns", NULL, OpenNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openRtnetlink", NULL, OpenRtnetlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linkInfo", NULL, LinkInfoInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"replaceAddress", NULL, ReplaceAddressInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deleteAddress", NULL, DeleteAddressInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listAddresses", NULL, ListAddressesInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"replaceRoute", NULL, ReplaceRouteInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deleteRoute", NULL, DeleteRouteInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listRoutes", NULL, ListRoutesInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMtu", NULL, SetMtuInNetns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readIpv6Sysctl", NULL, ReadIpv6Sysctl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeIpv6Sysctl", NULL, WriteIpv6Sysctl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peerCredentials", NULL, PeerCredentials, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
