// Routes with rtnetlink in-process, without starting `ip`: adding or
// replacing one (RTM_NEWROUTE, what `ip route replace DEST [via GW] dev IF
// [metric M]` does), removing one (RTM_DELROUTE, `ip route del ...`) and
// listing a link's main-table routes (RTM_GETROUTE dump, `ip -json route
// show dev IF`). A DHCP lease may carry dozens of routes; one process per
// route was the cost this removes.
//
// JavaScript API:
//   replaceRoute(name: string, destination: string, prefixLength: number,
//                gateway: string | null, metric: number | null) -> void
//   deleteRoute(name, destination, prefixLength, gateway, metric) -> void
//     destination is the network address (0.0.0.0 or :: with length 0
//     for a default route); gateway and metric null when absent. Throw a
//     system error (ENODEV, ENETUNREACH for a gateway not on the link,
//     ESRCH for an absent route, EINVAL, EPERM).
//   listRoutes(name, family: 4 | 6) -> [{ family, destination, prefixLength, gateway?,
//                                         metric?, scope, protocol, type }]
//     The routes of the main table through the link, as `ip route show
//     dev IF` lists them (no cached clones); metric only when the kernel
//     reports one, as ip prints it.
// The request is ip's, field for field: table main; for a new route
// protocol boot, type unicast, NLM_F_CREATE | NLM_F_REPLACE, scope link
// for an IPv4 route without gateway (on-link) and universe otherwise; for
// a removal scope nowhere and type/protocol unspecified, so any matching
// route goes. RTA_DST only for a non-default destination, RTA_OIF always,
// RTA_GATEWAY and RTA_PRIORITY when given.

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <node_api.h>

#include "addon.h"

typedef struct {
  struct nlmsghdr header;
  struct rtmsg route;
  char attributes[128];
} RouteRequest;

static int is_absent(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_undefined || type == napi_null);
}

// Reads (name, destination, prefixLength, gateway, metric) into `request`;
// returns 1, or 0 after throwing.
static int route_request(napi_env env, napi_callback_info info, const char *usage, unsigned short type, RouteRequest *request) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 5) {
    throw_type_error(env, usage);
    return 0;
  }
  char name[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], name) == 0) return 0;
  unsigned char destination[16], gateway[16];
  uint32_t prefix = 0;
  size_t size = get_prefixed_address(env, argv[1], argv[2], "The destination", destination, &prefix);
  if (size == 0) return 0;
  int has_gateway = !is_absent(env, argv[3]);
  if (has_gateway) {
    size_t gateway_size = get_address_value(env, argv[3], "The gateway", gateway);
    if (gateway_size == 0) return 0;
    if (gateway_size != size) {
      throw_invalid_value(env, "The gateway must be of the destination's family");
      return 0;
    }
  }
  int has_metric = !is_absent(env, argv[4]);
  uint32_t metric = 0;
  if (has_metric && !get_u32_value(env, argv[4], "The metric", UINT32_MAX, &metric)) return 0;

  rtnetlink_start_request(&request->header, sizeof *request, type, sizeof request->route);
  request->route.rtm_family = size == 4 ? AF_INET : AF_INET6;
  request->route.rtm_dst_len = (unsigned char)prefix;
  request->route.rtm_table = RT_TABLE_MAIN;
  if (type == RTM_NEWROUTE) {
    request->header.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
    request->route.rtm_protocol = RTPROT_BOOT;
    request->route.rtm_type = RTN_UNICAST;
    request->route.rtm_scope = size == 4 && !has_gateway ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  } else {
    request->route.rtm_scope = RT_SCOPE_NOWHERE;
  }
  if (prefix > 0) rtnetlink_add_attribute(&request->header, RTA_DST, destination, size);
  if (has_gateway) rtnetlink_add_attribute(&request->header, RTA_GATEWAY, gateway, size);
  if (has_metric) rtnetlink_add_attribute(&request->header, RTA_PRIORITY, &metric, sizeof metric);
  // Last: a missing link fails after every argument was checked.
  uint32_t index = interface_index(env, name);
  if (index == 0) return 0;
  rtnetlink_add_attribute(&request->header, RTA_OIF, &index, sizeof index);
  return 1;
}

static napi_value change_route(napi_env env, napi_callback_info info, unsigned short type) {
  int add = type == RTM_NEWROUTE;
  RouteRequest request;
  const char *usage = add ? "replaceRoute(name, destination, prefixLength, gateway, metric) takes five arguments"
                          : "deleteRoute(name, destination, prefixLength, gateway, metric) takes five arguments";
  if (!route_request(env, info, usage, type, &request)) return NULL;
  int err = rtnetlink_talk(&request.header, NULL, NULL);
  if (err != 0) {
    return throw_rtnetlink_error(env, err, add ? "RTM_NEWROUTE" : "RTM_DELROUTE", add ? "Failed to add the route" : "Failed to remove the route");
  }
  return NULL;
}

// replaceRoute(name, destination, prefixLength, gateway, metric)
napi_value ReplaceRoute(napi_env env, napi_callback_info info) {
  return change_route(env, info, RTM_NEWROUTE);
}

// deleteRoute(name, destination, prefixLength, gateway, metric)
napi_value DeleteRoute(napi_env env, napi_callback_info info) {
  return change_route(env, info, RTM_DELROUTE);
}

typedef struct {
  napi_env env;
  uint32_t index;
  unsigned char family;
  napi_value list;
  uint32_t count;
} RouteList;

static int set_address(napi_env env, napi_value object, const char *name, int family, const struct rtattr *attribute) {
  char text[INET6_ADDRSTRLEN];
  napi_value v;
  if (RTA_PAYLOAD(attribute) != (family == AF_INET ? 4u : 16u)) return 0;
  if (inet_ntop(family, RTA_DATA(attribute), text, sizeof text) == NULL) return errno;
  return napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok ? 0 : ENOMEM;
}

static uint32_t attribute_u32(const struct rtattr *attribute, uint32_t otherwise) {
  uint32_t value = otherwise;
  if (attribute != NULL && RTA_PAYLOAD(attribute) >= sizeof value) memcpy(&value, RTA_DATA(attribute), sizeof value);
  return value;
}

static int on_route(const struct nlmsghdr *header, void *context) {
  RouteList *list = context;
  if (header->nlmsg_type != RTM_NEWROUTE || header->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) return 0;
  const struct rtmsg *route = NLMSG_DATA(header);
  if (route->rtm_family != list->family || (route->rtm_flags & RTM_F_CLONED)) return 0;
  const struct rtattr *table[RTA_MAX + 1];
  rtnetlink_parse_attributes(table, RTA_MAX, RTM_RTA(route), (int)RTM_PAYLOAD(header));
  // As ip reads it: a table id above 255 travels in RTA_TABLE.
  if (attribute_u32(table[RTA_TABLE], route->rtm_table) != RT_TABLE_MAIN) return 0;
  if (table[RTA_OIF] == NULL || attribute_u32(table[RTA_OIF], 0) != list->index) return 0;

  napi_env env = list->env;
  napi_value entry;
  if (napi_create_object(env, &entry) != napi_ok) return ENOMEM;
  int err = set_u32_property(env, entry, "family", route->rtm_family == AF_INET ? 4 : 6);
  if (err == 0 && table[RTA_DST] != NULL) {
    err = set_address(env, entry, "destination", route->rtm_family, table[RTA_DST]);
  } else if (err == 0) {
    unsigned char zero[16] = {0};
    char text[INET6_ADDRSTRLEN];
    napi_value v;
    inet_ntop(route->rtm_family, zero, text, sizeof text);
    err = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) == napi_ok && napi_set_named_property(env, entry, "destination", v) == napi_ok ? 0 : ENOMEM;
  }
  if (err == 0) err = set_u32_property(env, entry, "prefixLength", route->rtm_dst_len);
  if (err == 0 && table[RTA_GATEWAY] != NULL) err = set_address(env, entry, "gateway", route->rtm_family, table[RTA_GATEWAY]);
  if (err == 0 && table[RTA_PRIORITY] != NULL) err = set_u32_property(env, entry, "metric", attribute_u32(table[RTA_PRIORITY], 0));
  if (err == 0) err = set_u32_property(env, entry, "scope", route->rtm_scope);
  if (err == 0) err = set_u32_property(env, entry, "protocol", route->rtm_protocol);
  if (err == 0) err = set_u32_property(env, entry, "type", route->rtm_type);
  if (err == 0 && napi_set_element(env, list->list, list->count, entry) != napi_ok) err = ENOMEM;
  if (err == 0) list->count++;
  return err;
}

// listRoutes(name, family)
napi_value ListRoutes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "listRoutes(name, family) takes two arguments");
  char name[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], name) == 0) return NULL;
  uint32_t family = 0;
  if (!get_u32_value(env, argv[1], "The family", 6, &family)) return NULL;
  if (family != 4 && family != 6) {
    return throw_invalid_value(env, "The family must be 4 or 6");
  }
  RouteList list = {.env = env, .family = family == 4 ? AF_INET : AF_INET6, .count = 0};
  list.index = interface_index(env, name);
  if (list.index == 0) return NULL;
  if (napi_create_array(env, &list.list) != napi_ok) return NULL;
  int err = rtnetlink_dump(RTM_GETROUTE, list.family, sizeof(struct rtmsg), on_route, &list);
  if (err != 0) return throw_rtnetlink_error(env, err, "RTM_GETROUTE", "Failed to list the routes");
  return list.list;
}
