// A UDP/IPv4 socket bound to one network device, for DHCPv4 clients.
//
// Why native: a DHCPv4 client starts on an interface with no IPv4 address
// and no route, where node:dgram cannot send to 255.255.255.255
// (ENETUNREACH). Binding the socket to the device (SO_BINDTODEVICE) lets
// the kernel route the broadcast out of that device, and Node has no
// setsockopt to do it.
//
// Design: the socket is created here, non-blocking, and watched by a
// uv_poll_t on Node's own event loop. When it is readable, every queued
// datagram is read with recvfrom and handed to a JavaScript callback on the
// loop thread (napi_make_callback, so async hooks and microtasks behave as
// for any Node callback). sendto is synchronous: on a UDP socket it either
// queues the datagram or fails at once; EAGAIN (send buffer full) is
// reported to the caller like any other error.
//
// JavaScript API (see src/native-addon.ts for the typed view):
//   open(iface, port, onMessage(bytes: Buffer, address: string, port: number),
//        onError?(error: Error), netns?: fd) -> handle
//        With a namespace fd (openNetns), the socket is made inside that
//        network namespace (netns_run: the thread goes in and comes back
//        in this call) and keeps working from here: a socket belongs to
//        the namespace it was created in, and so does its interface.
//   localPort(handle) -> number
//   send(handle, bytes: Uint8Array, address: string, port: number)   throws on failure
//   close(handle, onClosed?: () => void) -> boolean (false when already closing)
// Errors carry `code` (the errno name, "ENODEV"), `errno` and `syscall`.
// When the kernel fails the socket itself (POLLERR: the socket's pending
// error, e.g. ECONNABORTED when it is destroyed through sock_diag), libuv
// stops watching it; onError then gets that error (syscall "poll") once,
// and the socket receives nothing more: the owner closes it and starts
// over. Without onError the failure would pass in silence.
//
// Lifetime: the struct is freed once both the libuv handle is closed and
// the JavaScript handle is garbage collected, whichever comes last, so
// neither side can touch freed memory. An async cleanup hook closes a
// socket still open when the environment (a worker thread) goes away.

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "addon.h"

// Largest UDP payload; DHCP messages are far smaller, but a truncated
// datagram would be misread, so take whatever the kernel holds.
#define MAX_DATAGRAM 65536
// Datagrams read per readiness event, so a flood cannot starve the loop.
#define MAX_READS_PER_EVENT 64
// Receive buffer asked for (the kernel doubles it for bookkeeping). Anyone
// on the link can flood port 68: at 20,000 packets/s the default ~208 KB
// fills in ~10 ms (a 65 KB datagram alone takes ~100 KB), so a busy loop
// or a descheduled process lost the server's answer and waited 4 s for the
// retransmission. 2 MiB gives ~100 ms; it costs memory only while full.
#define RECEIVE_BUFFER (2 * 1024 * 1024)

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  char iface[IF_NAMESIZE];
  int closing;        // uv_close was called
  int handle_closed;  // uv_close's callback ran: fd closed, refs released
  int finalized;      // the JavaScript handle was garbage collected
  int env_gone;       // the environment is being torn down: no JavaScript calls
  int failed;         // the errno the socket failed with (POLLERR), 0 while it works
  napi_ref on_message;
  napi_ref on_error;
  napi_ref on_closed;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle cleanup_hook;
  unsigned char buffer[MAX_DATAGRAM];
} Udp4Socket;

// Marks handles made by open(), so a foreign external cannot be taken for one.
static const napi_type_tag SOCKET_TAG = {0x8d3f6a1e2b4c4e57ULL, 0x9a0c1d2e3f405162ULL};

// Calls a JavaScript function from a libuv callback. An exception it
// throws becomes an uncaught exception, as for an event listener.
static void call_js(Udp4Socket *sock, napi_ref ref, size_t argc, const napi_value *argv) {
  napi_env env = sock->env;
  napi_value fn, recv, exception;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  // napi_make_callback wants an object as `this`; listeners ignore it.
  if (napi_get_global(env, &recv) != napi_ok) return;
  napi_status status = napi_make_callback(env, sock->async_context, recv, fn, argc, argv, NULL);
  if (status == napi_pending_exception && napi_get_and_clear_last_exception(env, &exception) == napi_ok) {
    napi_fatal_exception(env, exception);
  }
}

static void release_js(Udp4Socket *sock) {
  if (sock->on_message != NULL) napi_delete_reference(sock->env, sock->on_message);
  if (sock->on_error != NULL) napi_delete_reference(sock->env, sock->on_error);
  if (sock->on_closed != NULL) napi_delete_reference(sock->env, sock->on_closed);
  if (sock->async_context != NULL) napi_async_destroy(sock->env, sock->async_context);
  sock->on_message = NULL;
  sock->on_error = NULL;
  sock->on_closed = NULL;
  sock->async_context = NULL;
}

static void on_handle_closed(uv_handle_t *handle) {
  Udp4Socket *sock = handle->data;
  // libuv forbids closing a polled fd; now it is no longer polled.
  close(sock->fd);
  sock->fd = -1;
  sock->handle_closed = 1;
  if (!sock->env_gone && sock->on_closed != NULL) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(sock->env, &scope) == napi_ok) {
      call_js(sock, sock->on_closed, 0, NULL);
      napi_close_handle_scope(sock->env, scope);
    }
  }
  release_js(sock);
  if (sock->cleanup_hook != NULL) {
    napi_remove_async_cleanup_hook(sock->cleanup_hook);
    sock->cleanup_hook = NULL;
  }
  if (sock->finalized) free(sock);
}

static void begin_close(Udp4Socket *sock) {
  if (sock->closing) return;
  sock->closing = 1;
  uv_poll_stop(&sock->poll);
  uv_close((uv_handle_t *)&sock->poll, on_handle_closed);
}

// The environment (a worker thread, or the main one at exit) is going
// away with the socket still open: close it without calling JavaScript.
// on_handle_closed removes the hook, which lets the teardown go on.
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *data) {
  (void)handle;
  Udp4Socket *sock = data;
  sock->env_gone = 1;
  begin_close(sock);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Udp4Socket *sock = data;
  sock->finalized = 1;
  if (!sock->closing) {
    begin_close(sock);
  } else if (sock->handle_closed) {
    free(sock);
  }
}

static void deliver(Udp4Socket *sock, size_t length, const struct sockaddr_in *from) {
  napi_env env = sock->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char address[INET_ADDRSTRLEN];
  napi_value argv[3];
  if (inet_ntop(AF_INET, &from->sin_addr, address, sizeof address) != NULL &&
      napi_create_buffer_copy(env, length, sock->buffer, NULL, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_create_uint32(env, ntohs(from->sin_port), &argv[2]) == napi_ok) {
    call_js(sock, sock->on_message, 3, argv);
  }
  napi_close_handle_scope(env, scope);
}

// libuv reports POLLERR as status UV_EBADF and has stopped the handle
// already; the socket's own error (SO_ERROR, read and cleared here) says
// what happened.
static void fail(Udp4Socket *sock, int status) {
  int err = 0;
  socklen_t length = sizeof err;
  if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &err, &length) < 0 || err == 0) err = -status;
  sock->failed = err;
  uv_poll_stop(&sock->poll);
  if (sock->env_gone || sock->on_error == NULL) return;
  napi_env env = sock->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char what[128];
  snprintf(what, sizeof what, "The UDP/IPv4 socket on interface \"%s\" failed", sock->iface);
  napi_value error = make_system_error(env, err, "poll", what);
  if (error != NULL) call_js(sock, sock->on_error, 1, &error);
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Udp4Socket *sock = handle->data;
  if (sock->closing || sock->failed) return;
  if (status < 0) {
    fail(sock, status);
    return;
  }
  if (!(events & UV_READABLE)) return;
  // A listener may close the socket; the struct stays valid until
  // on_handle_closed, so checking `closing` after each call is safe.
  for (int i = 0; i < MAX_READS_PER_EVENT && !sock->closing; i++) {
    struct sockaddr_in from;
    socklen_t from_length = sizeof from;
    ssize_t n = recvfrom(sock->fd, sock->buffer, sizeof sock->buffer, 0, (struct sockaddr *)&from, &from_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Anything else concerns one datagram, not the socket.
      break;
    }
    deliver(sock, (size_t)n, &from);
  }
}

static Udp4Socket *get_socket(napi_env env, napi_value value) {
  void *data = NULL;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &SOCKET_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    throw_type_error(env, "The socket handle must be one returned by open()");
    return NULL;
  }
  return data;
}

// What open() asks of open_device_socket, and what it got back.
typedef struct {
  const char *iface;
  uint32_t port;
  int fd;               // the socket, or -1
  int err;              // why not
  const char *syscall;  // which call failed
  char what[128];
} OpenRequest;

// Keeps errno (before close or snprintf can change it) and closes `fd`.
static void open_failed(OpenRequest *request, int fd, const char *syscall) {
  request->err = errno;
  request->syscall = syscall;
  if (fd >= 0) close(fd);
}

// Makes the socket: plain system calls only (no JavaScript), so it can run
// inside another network namespace through netns_run.
static void open_device_socket(void *context) {
  OpenRequest *request = context;
  const char *iface = request->iface;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    open_failed(request, -1, "socket");
    snprintf(request->what, sizeof request->what, "Failed to create a UDP/IPv4 socket");
    return;
  }
  int one = 1;
  // SO_REUSEADDR: a restarted client binds port 68 again at once, and
  // clients on other interfaces share it. SO_BROADCAST: sending to
  // 255.255.255.255 is refused without it.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) {
    open_failed(request, fd, "setsockopt");
    snprintf(request->what, sizeof request->what, "Failed to set SO_REUSEADDR/SO_BROADCAST");
    return;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface) + 1) < 0) {
    open_failed(request, fd, "setsockopt");
    snprintf(request->what, sizeof request->what, "Failed to bind the socket to interface \"%s\"", iface);
    return;
  }
  // Best effort: SO_RCVBUFFORCE (CAP_NET_ADMIN, which a runner has) may
  // pass net.core.rmem_max; SO_RCVBUF is capped by it.
  int receive_buffer = RECEIVE_BUFFER;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) < 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  struct sockaddr_in local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_port = htons((uint16_t)request->port);
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    open_failed(request, fd, "bind");
    snprintf(request->what, sizeof request->what, "Failed to bind 0.0.0.0:%u on interface \"%s\"", request->port, iface);
    return;
  }
  request->fd = fd;
}

// open(iface, port, onMessage, onError?, netns?) -> handle
napi_value Udp4Open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_type_error(env, "open(iface, port, onMessage, onError, netns) takes three to five arguments");

  char iface[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], iface) == 0) return NULL;
  uint32_t port = 0;
  if (!get_u32_value(env, argv[1], "The port", 65535, &port)) return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[2], &type) != napi_ok || type != napi_function) {
    return throw_type_error(env, "onMessage must be a function");
  }
  napi_valuetype error_type = napi_undefined;
  if (argc >= 4 && (napi_typeof(env, argv[3], &error_type) != napi_ok || (error_type != napi_function && error_type != napi_undefined))) {
    return throw_type_error(env, "onError must be a function");
  }

  int netns = -1;
  if (argc >= 5 && !get_netns_fd(env, argv[4], &netns)) return NULL;

  OpenRequest request = {.iface = iface, .port = port, .fd = -1};
  int entered = netns_run(netns, open_device_socket, &request);
  if (entered != 0) return throw_system_error(env, entered, "setns", "Failed to enter the network namespace");
  if (request.fd < 0) return throw_system_error(env, request.err, request.syscall, request.what);
  int fd = request.fd;

  Udp4Socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) {
    close(fd);
    return throw_system_error(env, ENOMEM, "calloc", "Failed to allocate the socket");
  }
  sock->env = env;
  sock->fd = fd;
  memcpy(sock->iface, iface, sizeof iface);
  sock->poll.data = sock;

  napi_value resource, resource_name;
  uv_loop_t *loop = NULL;
  if (napi_create_reference(env, argv[2], 1, &sock->on_message) != napi_ok ||
      (error_type == napi_function && napi_create_reference(env, argv[3], 1, &sock->on_error) != napi_ok) ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "INCUSX_UDP4_DEVICE_SOCKET", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, resource, resource_name, &sock->async_context) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok) {
    release_js(sock);
    close(fd);
    free(sock);
    napi_throw_error(env, NULL, "Failed to set up the socket's callbacks");
    return NULL;
  }
  int err = uv_poll_init(loop, &sock->poll, fd);
  if (err < 0) {
    // uv_poll_init fails before registering the handle: nothing to uv_close.
    release_js(sock);
    close(fd);
    free(sock);
    return throw_system_error(env, -err, "uv_poll_init", "Failed to watch the socket");
  }
  // From here on the handle is registered: every failure goes through
  // begin_close, with no JavaScript handle left to wait for.
  napi_value handle;
  err = uv_poll_start(&sock->poll, UV_READABLE, on_poll);
  if (err < 0) {
    sock->finalized = 1;
    begin_close(sock);
    return throw_system_error(env, -err, "uv_poll_start", "Failed to watch the socket");
  }
  if (napi_create_external(env, sock, finalize_handle, NULL, &handle) != napi_ok) {
    sock->finalized = 1;
    begin_close(sock);
    napi_throw_error(env, NULL, "Failed to create the socket handle");
    return NULL;
  }
  if (napi_type_tag_object(env, handle, &SOCKET_TAG) != napi_ok) {
    // The external exists now: its finalizer frees the struct after the close.
    begin_close(sock);
    napi_throw_error(env, NULL, "Failed to create the socket handle");
    return NULL;
  }
  // Without the hook a worker's exit would leave the fd open; losing it
  // only matters then, so a failure here is not fatal.
  napi_add_async_cleanup_hook(env, on_env_cleanup, sock, &sock->cleanup_hook);
  return handle;
}

// localPort(handle) -> the bound port (useful after binding port 0)
napi_value Udp4LocalPort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type_error(env, "localPort(handle) takes one argument");
  Udp4Socket *sock = get_socket(env, argv[0]);
  if (sock == NULL) return NULL;
  if (sock->closing) return throw_system_error(env, EBADF, "getsockname", "The socket is closed");
  struct sockaddr_in local;
  socklen_t length = sizeof local;
  if (getsockname(sock->fd, (struct sockaddr *)&local, &length) < 0) {
    return throw_system_error(env, errno, "getsockname", "Failed to read the socket's port");
  }
  napi_value result;
  if (napi_create_uint32(env, ntohs(local.sin_port), &result) != napi_ok) return NULL;
  return result;
}

// send(handle, bytes, address, port)
napi_value Udp4Send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_type_error(env, "send(handle, bytes, address, port) takes four arguments");
  Udp4Socket *sock = get_socket(env, argv[0]);
  if (sock == NULL) return NULL;
  if (sock->closing) return throw_system_error(env, EBADF, "sendto", "The socket is closed");

  bool is_typed_array = false;
  napi_typedarray_type array_type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, argv[1], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, argv[1], &array_type, &length, &data, NULL, NULL) != napi_ok ||
      array_type != napi_uint8_array) {
    return throw_type_error(env, "The datagram must be a Uint8Array");
  }
  char address[INET_ADDRSTRLEN];
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  if (get_string_value(env, argv[2], "The address", address, sizeof address) == 0) return NULL;
  if (inet_pton(AF_INET, address, &to.sin_addr) != 1) {
    return throw_invalid_value(env, "The address must be an IPv4 address in dotted-quad form");
  }
  uint32_t port = 0;
  if (!get_u32_value(env, argv[3], "The port", 65535, &port)) return NULL;
  if (port == 0) return throw_invalid_value(env, "The port must be a whole number from 1 to 65535");
  to.sin_port = htons((uint16_t)port);

  ssize_t sent;
  do {
    sent = sendto(sock->fd, data, length, 0, (struct sockaddr *)&to, sizeof to);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    int err = errno;
    char what[128];
    snprintf(what, sizeof what, "Failed to send to %s:%u on interface \"%s\"", address, port, sock->iface);
    return throw_system_error(env, err, "sendto", what);
  }
  return NULL;
}

// close(handle, onClosed?) -> false when already closing
napi_value Udp4Close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type_error(env, "close(handle, onClosed) takes a handle");
  Udp4Socket *sock = get_socket(env, argv[0]);
  if (sock == NULL) return NULL;
  napi_value result;
  if (sock->closing) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_valuetype type = napi_undefined;
  if (argc >= 2 && napi_typeof(env, argv[1], &type) == napi_ok && type == napi_function) {
    // Without the reference the close notice is lost; the socket still closes.
    if (napi_create_reference(env, argv[1], 1, &sock->on_closed) != napi_ok) sock->on_closed = NULL;
  }
  begin_close(sock);
  napi_get_boolean(env, true, &result);
  return result;
}
