// Addresses with rtnetlink in-process, without starting `ip`: putting one
// on a link (RTM_NEWADDR, what `ip addr replace ADDR/LEN [broadcast +] dev
// IF valid_lft V preferred_lft P` does; the hot path of a DHCP client, the
// moment a lease is bound), removing one (RTM_DELADDR, `ip addr del`) and
// listing a link's addresses (RTM_GETADDR dump, `ip -json addr show dev IF`).
//
// JavaScript API:
//   replaceAddress(name: string, address: string (IPv4 or IPv6, no zone), prefixLength: number,
//                  validLifetime: number, preferredLifetime: number, broadcast: boolean) -> void
//     Lifetimes in seconds, 0xffffffff for forever. `broadcast` adds the
//     prefix's broadcast address (IPv4 only).
//   deleteAddress(name, address, prefixLength) -> void
//   listAddresses(name) -> [{ family: 4 | 6, address, prefixLength, scope, flags,
//                             validLifetime, preferredLifetime }]
//     flags the IFA_F_* flags; lifetimes 0xffffffff for forever.
// All throw a system error (ENODEV, EPERM, EINVAL, EADDRNOTAVAIL for an
// absent address, ...) or, for a malformed argument, a TypeError or
// RangeError.
// As ip does: NLM_F_CREATE | NLM_F_REPLACE, IFA_LOCAL and IFA_ADDRESS both
// the address, IFA_CACHEINFO with the lifetimes, scope left to the kernel.

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <node_api.h>

#include "addon.h"

size_t get_address_value(napi_env env, napi_value value, const char *what, unsigned char *bytes) {
  char text[INET6_ADDRSTRLEN];
  char message[128];
  if (get_string_value(env, value, what, text, sizeof text) == 0) return 0;
  if (inet_pton(AF_INET, text, bytes) == 1) return 4;
  if (inet_pton(AF_INET6, text, bytes) == 1) return 16;
  snprintf(message, sizeof message, "%s must be an IPv4 or IPv6 address", what);
  throw_invalid_value(env, message);
  return 0;
}

size_t get_prefixed_address(napi_env env, napi_value address, napi_value prefix_length, const char *what, unsigned char *bytes, uint32_t *prefix) {
  size_t size = get_address_value(env, address, what, bytes);
  if (size == 0) return 0;
  return get_u32_value(env, prefix_length, "The prefix length", (uint32_t)size * 8, prefix) ? size : 0;
}

typedef struct {
  struct nlmsghdr header;
  struct ifaddrmsg address;
  char attributes[128];
} AddressRequest;

// Reads (name, address, prefixLength) into `request` for `type`; returns
// the address's size (4 or 16) or 0 after throwing.
static size_t address_request(napi_env env, const napi_value *argv, unsigned short type, AddressRequest *request, unsigned char *bytes) {
  char name[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], name) == 0) return 0;
  uint32_t prefix = 0;
  size_t size = get_prefixed_address(env, argv[1], argv[2], "The address", bytes, &prefix);
  if (size == 0) return 0;
  rtnetlink_start_request(&request->header, sizeof *request, type, sizeof request->address);
  request->address.ifa_family = size == 4 ? AF_INET : AF_INET6;
  request->address.ifa_prefixlen = (unsigned char)prefix;
  rtnetlink_add_attribute(&request->header, IFA_LOCAL, bytes, size);
  rtnetlink_add_attribute(&request->header, IFA_ADDRESS, bytes, size);
  // Last: a missing link fails after every argument was checked.
  request->address.ifa_index = interface_index(env, name);
  return request->address.ifa_index == 0 ? 0 : size;
}

// replaceAddress(name, address, prefixLength, validLifetime, preferredLifetime, broadcast)
napi_value ReplaceAddress(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return throw_type_error(env, "replaceAddress(name, address, prefixLength, validLifetime, preferredLifetime, broadcast) takes six arguments");
  uint32_t valid = 0, preferred = 0;
  bool broadcast = false;
  if (!get_u32_value(env, argv[3], "The valid lifetime", UINT32_MAX, &valid) ||
      !get_u32_value(env, argv[4], "The preferred lifetime", UINT32_MAX, &preferred)) {
    return NULL;
  }
  if (napi_get_value_bool(env, argv[5], &broadcast) != napi_ok) return throw_type_error(env, "broadcast must be a boolean");
  AddressRequest request;
  unsigned char bytes[16];
  size_t size = address_request(env, argv, RTM_NEWADDR, &request, bytes);
  if (size == 0) return NULL;
  request.header.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
  if (broadcast && size == 4) {
    uint32_t prefix = request.address.ifa_prefixlen;
    uint32_t host_mask = prefix == 0 ? 0xffffffffu : (prefix >= 32 ? 0 : 0xffffffffu >> prefix);
    uint32_t address;
    memcpy(&address, bytes, 4);
    uint32_t value = address | htonl(host_mask);
    rtnetlink_add_attribute(&request.header, IFA_BROADCAST, &value, sizeof value);
  }
  struct ifa_cacheinfo lifetimes = {.ifa_prefered = preferred, .ifa_valid = valid};
  rtnetlink_add_attribute(&request.header, IFA_CACHEINFO, &lifetimes, sizeof lifetimes);

  int err = rtnetlink_talk(&request.header, NULL, NULL);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_NEWADDR", "Failed to add the address");
  return NULL;
}

// deleteAddress(name, address, prefixLength)
napi_value DeleteAddress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_type_error(env, "deleteAddress(name, address, prefixLength) takes three arguments");
  AddressRequest request;
  unsigned char bytes[16];
  if (address_request(env, argv, RTM_DELADDR, &request, bytes) == 0) return NULL;
  int err = rtnetlink_talk(&request.header, NULL, NULL);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_DELADDR", "Failed to remove the address");
  return NULL;
}

typedef struct {
  napi_env env;
  unsigned int index;
  napi_value list;
  uint32_t count;
} AddressList;

static int on_address(const struct nlmsghdr *header, void *context) {
  AddressList *list = context;
  if (header->nlmsg_type != RTM_NEWADDR || header->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg))) return 0;
  const struct ifaddrmsg *message = NLMSG_DATA(header);
  if (message->ifa_index != list->index || (message->ifa_family != AF_INET && message->ifa_family != AF_INET6)) return 0;
  const struct rtattr *table[IFA_MAX + 1];
  rtnetlink_parse_attributes(table, IFA_MAX, IFA_RTA(message), (int)IFA_PAYLOAD(header));
  // As ip prints it: the local address, else the (peer) address.
  const struct rtattr *local = table[IFA_LOCAL] != NULL ? table[IFA_LOCAL] : table[IFA_ADDRESS];
  size_t size = message->ifa_family == AF_INET ? 4 : 16;
  if (local == NULL || RTA_PAYLOAD(local) != size) return 0;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(message->ifa_family, RTA_DATA(local), text, sizeof text) == NULL) return errno;
  uint32_t flags = message->ifa_flags;
  if (table[IFA_FLAGS] != NULL && RTA_PAYLOAD(table[IFA_FLAGS]) >= sizeof flags) memcpy(&flags, RTA_DATA(table[IFA_FLAGS]), sizeof flags);
  struct ifa_cacheinfo lifetimes = {.ifa_prefered = 0xffffffffu, .ifa_valid = 0xffffffffu};
  if (table[IFA_CACHEINFO] != NULL && RTA_PAYLOAD(table[IFA_CACHEINFO]) >= sizeof lifetimes) {
    memcpy(&lifetimes, RTA_DATA(table[IFA_CACHEINFO]), sizeof lifetimes);
  }
  napi_env env = list->env;
  napi_value entry, address;
  if (napi_create_object(env, &entry) != napi_ok || napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address) != napi_ok ||
      napi_set_named_property(env, entry, "address", address) != napi_ok || set_u32_property(env, entry, "family", size == 4 ? 4 : 6) != 0 ||
      set_u32_property(env, entry, "prefixLength", message->ifa_prefixlen) != 0 || set_u32_property(env, entry, "scope", message->ifa_scope) != 0 ||
      set_u32_property(env, entry, "flags", flags) != 0 || set_u32_property(env, entry, "validLifetime", lifetimes.ifa_valid) != 0 ||
      set_u32_property(env, entry, "preferredLifetime", lifetimes.ifa_prefered) != 0 || napi_set_element(env, list->list, list->count, entry) != napi_ok) {
    return ENOMEM;
  }
  list->count++;
  return 0;
}

// listAddresses(name)
napi_value ListAddresses(napi_env env, napi_callback_info info) {
  char name[IF_NAMESIZE];
  if (get_string_argument(env, info, "listAddresses(name)", "The interface name", name, sizeof name) == 0) return NULL;
  AddressList list = {.env = env, .count = 0};
  list.index = interface_index(env, name);
  if (list.index == 0) return NULL;
  if (napi_create_array(env, &list.list) != napi_ok) return NULL;
  int err = rtnetlink_dump(RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), on_address, &list);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_GETADDR", "Failed to list the addresses");
  return list.list;
}
