// The credentials of the process at the other end of a connected unix
// socket (SO_PEERCRED), for a server that must know who is asking: Node.js
// gives no API for them on an accepted connection.
//
// The kernel records the peer's pid, uid and gid at connect() (or
// socketpair()), so what is read is who connected, not who holds the fd
// now; that is the point of SO_PEERCRED over anything the client says.
//
// JavaScript API:
//   peerCredentials(fd: number) -> { pid, uid, gid }
//   Throws a RangeError (ERR_INVALID_ARG_VALUE) for an fd that is not a
//   whole number from 0 to INT_MAX, and a system error: EBADF (not open),
//   ENOTSOCK (not a socket), ENOTCONN/EINVAL (no peer: not a connected
//   unix socket).

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>

#include <node_api.h>

#include "addon.h"

napi_value PeerCredentials(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type_error(env, "peerCredentials(fd): the socket's fd is required");
  uint32_t fd;
  if (!get_u32_value(env, argv[0], "fd", INT_MAX, &fd)) return NULL;
  struct ucred credentials;
  socklen_t length = sizeof credentials;
  if (getsockopt((int)fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return throw_system_error(env, errno, "getsockopt", "Failed to read the peer's credentials (SO_PEERCRED)");
  }
  // A socket without a peer (not connected, not AF_UNIX) reports pid 0 and
  // uid/gid -1 rather than failing: that is no credential to trust.
  if (credentials.pid == 0 && credentials.uid == (uid_t)-1) {
    return throw_system_error(env, ENOTCONN, "getsockopt", "The socket has no peer credentials (SO_PEERCRED)");
  }
  napi_value result;
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  if (set_u32_property(env, result, "pid", (uint32_t)credentials.pid) != 0 || set_u32_property(env, result, "uid", credentials.uid) != 0 ||
      set_u32_property(env, result, "gid", credentials.gid) != 0) {
    return throw_system_error(env, ENOMEM, "napi_set_named_property", "Failed to return the peer's credentials");
  }
  return result;
}
