// Putting an address on a link with rtnetlink (RTM_NEWADDR) in-process:
// what `ip addr replace ADDR/LEN [broadcast +] dev IF valid_lft V
// preferred_lft P` does, without starting `ip`. Used on the hot path of a
// DHCP client: the moment a lease is bound.
//
// JavaScript API:
//   replaceAddress(name: string, address: string (IPv4 or IPv6, no zone), prefixLength: number,
//                  validLifetime: number, preferredLifetime: number, broadcast: boolean) -> void
//     Lifetimes in seconds, 0xffffffff for forever. `broadcast` adds the
//     prefix's broadcast address (IPv4 only). Throws a system error
//     (ENODEV, EPERM, EINVAL, ...).
// As ip does: NLM_F_CREATE | NLM_F_REPLACE, IFA_LOCAL and IFA_ADDRESS both
// the address, IFA_CACHEINFO with the lifetimes, scope left to the kernel.

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <node_api.h>

#include "addon.h"

// Sends one request and reads the kernel's acknowledgement. Returns 0 or an errno.
static int rtnetlink_request(const struct nlmsghdr *request) {
  char reply[4096];
  size_t received = 0;
  int err = rtnetlink_exchange(request, reply, sizeof reply, &received);
  if (err != 0) return err;
  int remaining = (int)received;
  for (struct nlmsghdr *header = (struct nlmsghdr *)reply; NLMSG_OK(header, remaining); header = NLMSG_NEXT(header, remaining)) {
    if (header->nlmsg_type == NLMSG_ERROR && header->nlmsg_seq == request->nlmsg_seq) {
      return -((struct nlmsgerr *)NLMSG_DATA(header))->error;
    }
  }
  return EPROTO;
}

// replaceAddress(name, address, prefixLength, validLifetime, preferredLifetime, broadcast)
napi_value ReplaceAddress(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return throw_type_error(env, "replaceAddress(name, address, prefixLength, validLifetime, preferredLifetime, broadcast) takes six arguments");
  char name[IF_NAMESIZE];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok || length == 0) {
    return throw_type_error(env, "The interface name must be a string of 1 to 15 bytes");
  }
  char text[INET6_ADDRSTRLEN];
  unsigned char bytes[16];
  size_t size = 0;
  if (napi_get_value_string_utf8(env, argv[1], text, sizeof text, &length) != napi_ok) {
    return throw_type_error(env, "The address must be a string");
  }
  if (inet_pton(AF_INET, text, bytes) == 1) {
    size = 4;
  } else if (inet_pton(AF_INET6, text, bytes) == 1) {
    size = 16;
  } else {
    return throw_type_error(env, "The address must be an IPv4 or IPv6 address");
  }
  uint32_t prefix = 0, valid = 0, preferred = 0;
  bool broadcast = false;
  if (napi_get_value_uint32(env, argv[2], &prefix) != napi_ok || prefix > size * 8) {
    return throw_type_error(env, "The prefix length must fit the address");
  }
  if (napi_get_value_uint32(env, argv[3], &valid) != napi_ok || napi_get_value_uint32(env, argv[4], &preferred) != napi_ok) {
    return throw_type_error(env, "The lifetimes must be integers of seconds");
  }
  if (napi_get_value_bool(env, argv[5], &broadcast) != napi_ok) return throw_type_error(env, "broadcast must be a boolean");

  unsigned int index = if_nametoindex(name);
  if (index == 0) return throw_system_error(env, errno, "if_nametoindex", "Failed to find the interface");

  struct {
    struct nlmsghdr header;
    struct ifaddrmsg address;
    char attributes[128];
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof request.address);
  request.header.nlmsg_type = RTM_NEWADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  request.header.nlmsg_seq = 1;
  request.address.ifa_family = size == 4 ? AF_INET : AF_INET6;
  request.address.ifa_prefixlen = (unsigned char)prefix;
  request.address.ifa_index = index;
  rtnetlink_add_attribute((struct nlmsghdr *)&request, IFA_LOCAL, bytes, size);
  rtnetlink_add_attribute((struct nlmsghdr *)&request, IFA_ADDRESS, bytes, size);
  if (broadcast && size == 4) {
    uint32_t host_mask = prefix == 0 ? 0xffffffffu : (prefix >= 32 ? 0 : 0xffffffffu >> prefix);
    uint32_t address;
    memcpy(&address, bytes, 4);
    uint32_t value = address | htonl(host_mask);
    rtnetlink_add_attribute((struct nlmsghdr *)&request, IFA_BROADCAST, &value, sizeof value);
  }
  struct ifa_cacheinfo lifetimes = {.ifa_prefered = preferred, .ifa_valid = valid};
  rtnetlink_add_attribute((struct nlmsghdr *)&request, IFA_CACHEINFO, &lifetimes, sizeof lifetimes);

  int err = rtnetlink_request(&request.header);
  if (err != 0) return throw_system_error(env, err, "RTM_NEWADDR", "Failed to add the address");
  return NULL;
}
