// Reading one link with rtnetlink (RTM_GETLINK) in-process, and setting
// its MTU (RTM_NEWLINK): what `ip -json link show dev IF` says and
// `ip link set dev IF mtu N` does, without starting `ip`. Reading a link
// also makes the kernel apply a carrier change it still holds back (link
// watch batches them for up to a second), so the link is operationally up,
// and IPv6 DAD of its link-local address starts, as soon as it is read.
//
// JavaScript API:
//   linkInfo(name: string) -> { index, name, type, flags, mtu, address: Buffer,
//                               carrierUpCount?, carrierDownCount? }
//     type is the ARPHRD_* link type, flags the IFF_* flags (IFF_LOWER_UP
//     included), address the hardware address (empty when the link has
//     none), the counts how often the link gained and lost its carrier
//     (IFLA_CARRIER_UP_COUNT, IFLA_CARRIER_DOWN_COUNT: Linux 4.16 and
//     later; absent before). Throws a system error (ENODEV when there is
//     no such link).
//   setMtu(name: string, mtu: number) -> void   as `ip link set dev IF mtu MTU`; throws a
//     system error (ENODEV, EINVAL for an MTU the link refuses, EPERM).
// The socket is opened in the calling thread's network namespace (the
// main thread's, see netns.c) and closed before returning.

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <node_api.h>

#include "addon.h"

typedef struct {
  napi_env env;
  napi_value result;  // NULL until the link's message came
} LinkReply;

static int on_link(const struct nlmsghdr *header, void *context) {
  LinkReply *reply = context;
  if (header->nlmsg_type != RTM_NEWLINK || reply->result != NULL || header->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) return 0;
  napi_env env = reply->env;
  const struct ifinfomsg *link = NLMSG_DATA(header);
  napi_value result, text, bytes;
  if (napi_create_object(env, &result) != napi_ok) return ENOMEM;
  const struct rtattr *table[IFLA_MAX + 1];
  rtnetlink_parse_attributes(table, IFLA_MAX, IFLA_RTA(link), (int)IFLA_PAYLOAD(header));
  if (table[IFLA_IFNAME] != NULL &&
      napi_create_string_utf8(env, RTA_DATA(table[IFLA_IFNAME]), strnlen(RTA_DATA(table[IFLA_IFNAME]), RTA_PAYLOAD(table[IFLA_IFNAME])), &text) == napi_ok) {
    napi_set_named_property(env, result, "name", text);
  }
  if (table[IFLA_MTU] != NULL && RTA_PAYLOAD(table[IFLA_MTU]) >= sizeof(uint32_t)) {
    uint32_t mtu;
    memcpy(&mtu, RTA_DATA(table[IFLA_MTU]), sizeof mtu);
    set_u32_property(env, result, "mtu", mtu);
  }
  static const unsigned char none[1] = {0};
  const void *address = table[IFLA_ADDRESS] != NULL ? RTA_DATA(table[IFLA_ADDRESS]) : none;
  size_t address_length = table[IFLA_ADDRESS] != NULL ? RTA_PAYLOAD(table[IFLA_ADDRESS]) : 0;
  void *data = NULL;
  if (napi_create_buffer_copy(env, address_length, address, &data, &bytes) == napi_ok) {
    napi_set_named_property(env, result, "address", bytes);
  }
  // Counted when the carrier changes, unlike the flags, which the link
  // watch updates later and may show unchanged after a short loss.
  static const struct {
    unsigned short type;
    const char *name;
  } counts[] = {{IFLA_CARRIER_UP_COUNT, "carrierUpCount"}, {IFLA_CARRIER_DOWN_COUNT, "carrierDownCount"}};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    const struct rtattr *count = table[counts[i].type];
    if (count == NULL || RTA_PAYLOAD(count) < sizeof(uint32_t)) continue;
    uint32_t value;
    memcpy(&value, RTA_DATA(count), sizeof value);
    set_u32_property(env, result, counts[i].name, value);
  }
  set_u32_property(env, result, "index", (uint32_t)link->ifi_index);
  set_u32_property(env, result, "type", link->ifi_type);
  set_u32_property(env, result, "flags", link->ifi_flags);
  reply->result = result;
  return 0;
}

// linkInfo(name)
napi_value LinkInfo(napi_env env, napi_callback_info info) {
  char name[IF_NAMESIZE];
  size_t length = get_string_argument(env, info, "linkInfo(name)", "The interface name", name, sizeof name);
  if (length == 0) return NULL;

  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
    char attributes[64];
  } request;
  rtnetlink_start_request(&request.header, sizeof request, RTM_GETLINK, sizeof request.link);
  request.link.ifi_family = AF_UNSPEC;
  rtnetlink_add_attribute(&request.header, IFLA_IFNAME, name, length + 1);
  // Leave the statistics out of the answer: they are large and not needed.
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  rtnetlink_add_attribute(&request.header, IFLA_EXT_MASK, &mask, sizeof mask);

  LinkReply reply = {.env = env, .result = NULL};
  int err = rtnetlink_talk(&request.header, on_link, &reply);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_GETLINK", "Failed to read the link");
  if (reply.result == NULL) return throw_system_error(env, EPROTO, "RTM_GETLINK", "rtnetlink answered without the link");
  return reply.result;
}

// setMtu(name, mtu): what `ip link set dev IF mtu MTU` sends.
napi_value SetMtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "setMtu(name, mtu) takes two arguments");
  char name[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], name) == 0) return NULL;
  uint32_t mtu = 0;
  if (!get_u32_value(env, argv[1], "The MTU", UINT32_MAX, &mtu)) return NULL;
  unsigned int index = interface_index(env, name);
  if (index == 0) return NULL;

  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
    char attributes[16];
  } request;
  rtnetlink_start_request(&request.header, sizeof request, RTM_NEWLINK, sizeof request.link);
  request.link.ifi_family = AF_UNSPEC;
  request.link.ifi_index = (int)index;
  rtnetlink_add_attribute(&request.header, IFLA_MTU, &mtu, sizeof mtu);
  int err = rtnetlink_talk(&request.header, NULL, NULL);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_NEWLINK", "Failed to set the MTU");
  return NULL;
}
