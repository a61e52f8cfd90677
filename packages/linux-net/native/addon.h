// Shared declarations of the native addon of @incusx/linux-net: the
// error helpers (addon.c) and the functions each source file exports to
// JavaScript (registered in addon.c).
#ifndef INCUSX_LINUX_NET_ADDON_H
#define INCUSX_LINUX_NET_ADDON_H

#include <node_api.h>

// Throws an Error like Node's system errors: message, code (errno name),
// errno (negative, as in Node) and syscall. Returns NULL for the caller to
// return.
napi_value throw_system_error(napi_env env, int err, const char *syscall, const char *what);

// Throws a TypeError with code ERR_INVALID_ARG_TYPE. Returns NULL.
napi_value throw_type_error(napi_env env, const char *message);

// Reads the one string argument of `function` (its name, for the message)
// into `out` (1 to size - 1 bytes, NUL-terminated). Returns its length, or
// 0 after throwing a TypeError that names it as `what`.
size_t get_string_argument(napi_env env, napi_callback_info info, const char *function, const char *what, char *out, size_t size);

// rtnetlink.c
struct nlmsghdr;
// Appends attribute `type` with `length` bytes of `data` to `request` (which has room for it).
void rtnetlink_add_attribute(struct nlmsghdr *request, unsigned short type, const void *data, size_t length);
// Sends `request` to the kernel and reads its answer into `reply`. Returns 0 or an errno.
int rtnetlink_exchange(const struct nlmsghdr *request, char *reply, size_t size, size_t *received);

// udp4_device_socket.c
napi_value Udp4Open(napi_env env, napi_callback_info info);
napi_value Udp4LocalPort(napi_env env, napi_callback_info info);
napi_value Udp4Send(napi_env env, napi_callback_info info);
napi_value Udp4Close(napi_env env, napi_callback_info info);

// netns.c
napi_value EnterNetns(napi_env env, napi_callback_info info);

// link.c
napi_value LinkInfo(napi_env env, napi_callback_info info);

// address.c
napi_value ReplaceAddress(napi_env env, napi_callback_info info);

#endif
