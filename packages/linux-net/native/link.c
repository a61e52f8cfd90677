// Reading one link with rtnetlink (RTM_GETLINK) in-process: what
// `ip -json link show dev IF` says, without starting `ip`. Reading a link
// also makes the kernel apply a carrier change it still holds back (link
// watch batches them for up to a second), so the link is operationally up,
// and IPv6 DAD of its link-local address starts, as soon as it is read.
//
// JavaScript API:
//   linkInfo(name: string) -> { index, name, type, flags, mtu, address: Buffer }
//     type is the ARPHRD_* link type, flags the IFF_* flags (IFF_LOWER_UP
//     included), address the hardware address (empty when the link has
//     none). Throws a system error (ENODEV when there is no such link).
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

#define REPLY_SIZE 32768

static int set_property_u32(napi_env env, napi_value object, const char *name, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok;
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
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof request.link);
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.link.ifi_family = AF_UNSPEC;
  rtnetlink_add_attribute((struct nlmsghdr *)&request, IFLA_IFNAME, name, length + 1);
  // Leave the statistics out of the answer: they are large and not needed.
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  rtnetlink_add_attribute((struct nlmsghdr *)&request, IFLA_EXT_MASK, &mask, sizeof mask);

  static char reply[REPLY_SIZE];
  size_t received = 0;
  int err = rtnetlink_exchange(&request.header, reply, sizeof reply, &received);
  if (err != 0) return throw_system_error(env, err, "RTM_GETLINK", "Failed to ask rtnetlink for the link");

  int remaining = (int)received;
  for (struct nlmsghdr *header = (struct nlmsghdr *)reply; NLMSG_OK(header, remaining); header = NLMSG_NEXT(header, remaining)) {
    if (header->nlmsg_type == NLMSG_ERROR) {
      struct nlmsgerr *error = NLMSG_DATA(header);
      if (error->error == 0) continue;
      return throw_system_error(env, -error->error, "RTM_GETLINK", "Failed to read the link");
    }
    if (header->nlmsg_type != RTM_NEWLINK) continue;
    struct ifinfomsg *link = NLMSG_DATA(header);
    napi_value result, text, bytes;
    if (napi_create_object(env, &result) != napi_ok) return NULL;
    static const unsigned char none[1] = {0};
    const unsigned char *address = none;
    size_t address_length = 0;
    int attributes_length = (int)IFLA_PAYLOAD(header);
    for (struct rtattr *a = IFLA_RTA(link); RTA_OK(a, attributes_length); a = RTA_NEXT(a, attributes_length)) {
      if (a->rta_type == IFLA_IFNAME) {
        if (napi_create_string_utf8(env, RTA_DATA(a), strnlen(RTA_DATA(a), RTA_PAYLOAD(a)), &text) == napi_ok) {
          napi_set_named_property(env, result, "name", text);
        }
      } else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
        uint32_t mtu;
        memcpy(&mtu, RTA_DATA(a), sizeof mtu);
        set_property_u32(env, result, "mtu", mtu);
      } else if (a->rta_type == IFLA_ADDRESS) {
        address = RTA_DATA(a);
        address_length = RTA_PAYLOAD(a);
      }
    }
    void *data = NULL;
    if (napi_create_buffer_copy(env, address_length, address, &data, &bytes) == napi_ok) {
      napi_set_named_property(env, result, "address", bytes);
    }
    set_property_u32(env, result, "index", (uint32_t)link->ifi_index);
    set_property_u32(env, result, "type", link->ifi_type);
    set_property_u32(env, result, "flags", link->ifi_flags);
    return result;
  }
  return throw_system_error(env, EPROTO, "RTM_GETLINK", "rtnetlink answered without the link");
}
