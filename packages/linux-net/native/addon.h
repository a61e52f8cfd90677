// Shared declarations of the native addon of @incusx/linux-net: the
// error helpers (addon.c) and the functions each source file exports to
// JavaScript (registered in addon.c).
#ifndef INCUSX_LINUX_NET_ADDON_H
#define INCUSX_LINUX_NET_ADDON_H

#include <net/if.h>
#include <stdint.h>

#include <node_api.h>

#include "netns_run.h"

// Makes (without throwing) an Error like Node's system errors: message
// "what: strerror (CODE)", code (errno name), errno (negative, as in Node)
// and syscall. NULL if it could not be made.
napi_value make_system_error(napi_env env, int err, const char *syscall, const char *what);

// Throws an Error like Node's system errors: message, code (errno name),
// errno (negative, as in Node) and syscall. Returns NULL for the caller to
// return.
napi_value throw_system_error(napi_env env, int err, const char *syscall, const char *what);

// Sets property `name` of `object` to `value`. Returns 0 or ENOMEM.
int set_u32_property(napi_env env, napi_value object, const char *name, uint32_t value);

// Throws a TypeError with code ERR_INVALID_ARG_TYPE. Returns NULL.
napi_value throw_type_error(napi_env env, const char *message);

// Throws a RangeError with code ERR_INVALID_ARG_VALUE (a string of the
// right type but unusable: too long, a NUL inside). Returns NULL.
napi_value throw_invalid_value(napi_env env, const char *message);

// Copies string `value` into `out` (1 to size - 1 bytes of UTF-8,
// NUL-terminated). Measures first and refuses, never truncates, a longer
// string (napi_get_value_string_utf8 would cut it silently, possibly into
// another valid name or address), and refuses one with a NUL inside (C
// would read a shorter string). Returns its length, or 0 after throwing a
// TypeError (not a string) or a RangeError (bad length, NUL) naming `what`.
size_t get_string_value(napi_env env, napi_value value, const char *what, char *out, size_t size);

// Reads a whole number from 0 to `max` into *out. napi_get_value_uint32
// would make NaN 0, -1 4294967295 and 24.5 24, each a different request
// (a NaN prefix length was a default route). Returns 1, or 0 after
// throwing a TypeError (not a number) or a RangeError with code
// ERR_INVALID_ARG_VALUE (not whole, or out of range) naming `what`.
int get_u32_value(napi_env env, napi_value value, const char *what, uint32_t max, uint32_t *out);

// Reads the one string argument of `function` (its name, for the message)
// with get_string_value. Returns its length, or 0 after throwing.
size_t get_string_argument(napi_env env, napi_callback_info info, const char *function, const char *what, char *out, size_t size);

// Reads an interface name: 1 to IF_NAMESIZE - 1 (15) bytes, see
// get_string_value. Returns its length, or 0 after throwing.
size_t get_interface_name(napi_env env, napi_value value, char name[IF_NAMESIZE]);

// The index of interface `name`, or 0 after throwing a system error
// (ENODEV for a link that does not exist). Called after every argument is
// checked, so bad arguments fail the same whether the link exists or not.
unsigned int interface_index(napi_env env, const char *name);

// rtnetlink.c
struct nlmsghdr;
struct rtattr;
// Zeroes the `size` bytes of `request` and starts it as a request of
// `type` whose family header (ifinfomsg, ifaddrmsg, rtmsg) has
// `header_size` bytes.
void rtnetlink_start_request(struct nlmsghdr *request, size_t size, unsigned short type, size_t header_size);
// Appends attribute `type` with `length` bytes of `data` to `request`
// (which has room for it).
void rtnetlink_add_attribute(struct nlmsghdr *request, unsigned short type, const void *data, size_t length);
// Called with every answer to a request (not the final acknowledgement or
// NLMSG_DONE); a non-zero return (an errno) ends the exchange with it.
typedef int (*rtnetlink_handler)(const struct nlmsghdr *message, void *context);
// Sends `request` (its nlmsg_seq and, unless it is a dump, NLM_F_ACK are
// set here) on rtnetlink_socket, or else a fresh socket of the calling
// thread's network namespace (or rtnetlink_netns's), and hands every
// answer to `handler` (may be NULL) until the kernel's acknowledgement
// or, for a dump, NLMSG_DONE. Sockets are connected to the kernel, so no
// other socket can send to them; each call has its own reply buffer, so
// threads never share one (a kept socket belongs to one thread's caller). Datagrams not from the
// kernel (nl_pid != 0) and messages of another sequence number are
// ignored; a truncated datagram is an error (EMSGSIZE). Returns 0 or an
// errno (the kernel's, for a refused request).
int rtnetlink_talk(struct nlmsghdr *request, rtnetlink_handler handler, void *context);
// Opens an rtnetlink socket in the namespace of fd `netns` (-1: the
// thread's own), connected to the kernel, with extended ACKs and a 2 s
// receive timeout, into *fd (close-on-exec). Returns 0 or an errno.
int rtnetlink_open(int netns, int *fd);
// 0 when `fd` is an rtnetlink socket (AF_NETLINK, NETLINK_ROUTE), else an
// errno (EINVAL, EBADF): a socket argument is checked before use.
int rtnetlink_check_socket(int fd);
// Asks for a dump of `type` (RTM_GETADDR, RTM_GETROUTE...) of one address
// family, with a zeroed family header of `header_size` bytes (ifaddrmsg,
// rtmsg) whose first byte is the family, and hands every answer to
// `handler`. Returns 0 or an errno.
int rtnetlink_dump(unsigned short type, unsigned char family, size_t header_size, rtnetlink_handler handler, void *context);
// The kernel's explanation of the calling thread's last refused request
// ("Nexthop has invalid gateway"), or "" when it gave none.
const char *rtnetlink_refusal(void);
// Throws the system error of refused request `syscall` (RTM_NEWROUTE...),
// with the kernel's explanation, if any, after `what`. Returns NULL.
napi_value throw_rtnetlink_error(napi_env env, int err, const char *syscall, const char *what);
// Fills attribute table `table` (indexes 0..max) from the attributes of
// `length` bytes at `first`; unknown types above `max` are skipped.
void rtnetlink_parse_attributes(const struct rtattr **table, int max, const struct rtattr *first, int length);

// udp4_device_socket.c
napi_value Udp4Open(napi_env env, napi_callback_info info);
napi_value Udp6Open(napi_env env, napi_callback_info info);
napi_value NetlinkWatch(napi_env env, napi_callback_info info);
napi_value PidExitWatch(napi_env env, napi_callback_info info);
napi_value Udp4LocalPort(napi_env env, napi_callback_info info);
napi_value Udp4Send(napi_env env, napi_callback_info info);
napi_value Udp4FilterChaddr(napi_env env, napi_callback_info info);
napi_value Udp4Close(napi_env env, napi_callback_info info);
napi_value ArpOpen(napi_env env, napi_callback_info info);
napi_value ArpSend(napi_env env, napi_callback_info info);

// netns.c
napi_value EnterNetns(napi_env env, napi_callback_info info);
napi_value OpenNetns(napi_env env, napi_callback_info info);
napi_value OpenRtnetlink(napi_env env, napi_callback_info info);
// Reads an optional network namespace fd (from openNetns): -1 for
// undefined or null. Returns 1, or 0 after throwing.
int get_netns_fd(napi_env env, napi_value value, int *fd);

// link.c
napi_value LinkInfo(napi_env env, napi_callback_info info);
napi_value SetMtu(napi_env env, napi_callback_info info);

// sysctl.c
napi_value ReadIpv6Sysctl(napi_env env, napi_callback_info info);
napi_value WriteIpv6Sysctl(napi_env env, napi_callback_info info);

// address.c
napi_value ReplaceAddress(napi_env env, napi_callback_info info);
napi_value DeleteAddress(napi_env env, napi_callback_info info);
napi_value ListAddresses(napi_env env, napi_callback_info info);
// Parses an IPv4 or IPv6 address string (get_string_value, at most
// INET6_ADDRSTRLEN - 1 bytes) into `bytes` (16 bytes of room). Returns 4
// or 16, or 0 after throwing.
size_t get_address_value(napi_env env, napi_value value, const char *what, unsigned char *bytes);
// Reads an address (get_address_value) and its prefix length (a whole
// number up to the address's bits), as the address and route requests
// take them. Returns 4 or 16, or 0 after throwing.
size_t get_prefixed_address(napi_env env, napi_value address, napi_value prefix_length, const char *what, unsigned char *bytes, uint32_t *prefix);

// route.c
napi_value ReplaceRoute(napi_env env, napi_callback_info info);
napi_value DeleteRoute(napi_env env, napi_callback_info info);
napi_value ListRoutes(napi_env env, napi_callback_info info);

// peer_credentials.c
napi_value PeerCredentials(napi_env env, napi_callback_info info);

#endif
