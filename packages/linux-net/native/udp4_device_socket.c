// A UDP/IPv4 socket bound to one network device, for DHCPv4 clients; on
// the same machinery, a UDP/IPv6 socket bound to a (link-local) address of
// one interface (open6) and a netlink socket subscribed to link and
// address notices (watchNetlink), both so they can be made inside another
// network namespace (netns_run) and then used from here.
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
//   filterChaddr(handle, mac: Uint8Array(6))   IPv4 only: the kernel drops every
//        datagram but BOOTP/DHCP messages whose chaddr is `mac`
//   close(handle, onClosed?: () => void) -> boolean (false when already closing)
//   openArp(iface, onMessage(bytes: Buffer, sourceMac: string, 0), onError?, netns?) -> handle
//        An AF_PACKET socket for ARP (ETH_P_ARP, SOCK_DGRAM: the Ethernet
//        header is added and stripped by the kernel) bound to `iface`, for
//        RFC 5227 address conflict detection. Frames this host sends are
//        never delivered. sendArp(handle, bytes) broadcasts one ARP packet
//        (ff:ff:ff:ff:ff:ff) out of the interface.
//   watchPidExit(pid, onExit(), onError?) -> handle
//        A pidfd (pidfd_open) on the same machinery: onExit runs once, when
//        the process exits; close() it like a socket. No timer, no wake-up
//        before the exit.
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
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
  int family;          // AF_INET, AF_INET6, AF_PACKET (ARP), AF_NETLINK or AF_UNSPEC (pidfd)
  unsigned int scope;  // AF_INET6 and AF_PACKET: the interface's index in the socket's namespace
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

static void deliver(Udp4Socket *sock, const unsigned char *bytes, size_t length, const struct sockaddr_storage *from) {
  napi_env env = sock->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char address[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  napi_value argv[3];
  uint16_t port = 0;
  const char *text = NULL;
  if (from->ss_family == AF_PACKET) {
    const struct sockaddr_ll *link = (const struct sockaddr_ll *)from;
    if (link->sll_halen == 6) {
      const unsigned char *m = link->sll_addr;
      snprintf(address, sizeof address, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    } else {
      address[0] = '\0';
    }
    text = address;
  } else if (from->ss_family == AF_NETLINK || from->ss_family == AF_UNSPEC) {
    // A netlink notice (or, length 0, word that some were lost): the
    // listener reads the state again, so only the bytes matter.
    snprintf(address, sizeof address, "kernel");
    text = address;
  } else if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *from6 = (const struct sockaddr_in6 *)from;
    port = ntohs(from6->sin6_port);
    text = inet_ntop(AF_INET6, &from6->sin6_addr, address, INET6_ADDRSTRLEN);
    // A link-scoped source with its zone, as node:dgram gives it: the
    // socket's interface by name (its index means nothing in this
    // process's namespace), any other index as a number.
    if (text != NULL && from6->sin6_scope_id != 0) {
      size_t used = strlen(address);
      if (from6->sin6_scope_id == sock->scope) {
        snprintf(address + used, sizeof address - used, "%%%s", sock->iface);
      } else {
        snprintf(address + used, sizeof address - used, "%%%u", from6->sin6_scope_id);
      }
    }
  } else {
    const struct sockaddr_in *from4 = (const struct sockaddr_in *)from;
    port = ntohs(from4->sin_port);
    text = inet_ntop(AF_INET, &from4->sin_addr, address, sizeof address);
  }
  if (text != NULL &&
      napi_create_buffer_copy(env, length, bytes, NULL, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_create_uint32(env, port, &argv[2]) == napi_ok) {
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
  if (sock->family == AF_NETLINK) {
    snprintf(what, sizeof what, "The netlink watcher failed");
  } else if (sock->family == AF_UNSPEC) {
    snprintf(what, sizeof what, "The process watch failed");
  } else if (sock->family == AF_PACKET) {
    snprintf(what, sizeof what, "The ARP socket on interface \"%s\" failed", sock->iface);
  } else {
    snprintf(what, sizeof what, "The UDP/IPv%d socket on interface \"%s\" failed", sock->family == AF_INET6 ? 6 : 4, sock->iface);
  }
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
  if (sock->family == AF_UNSPEC) {
    // A pidfd turns readable once and for good, when its process exits: say so once.
    uv_poll_stop(&sock->poll);
    sock->failed = ESRCH;
    struct sockaddr_storage from;
    memset(&from, 0, sizeof from);
    deliver(sock, (const unsigned char *)"", 0, &from);
    return;
  }
  // One buffer on the loop thread's stack for every socket, not one in each
  // socket's struct: a host holds hundreds of sockets (three per NIC), and
  // 64 KiB apiece was most of its memory per NIC. deliver() copies out.
  unsigned char buffer[MAX_DATAGRAM];
  // A listener may close the socket; the struct stays valid until
  // on_handle_closed, so checking `closing` after each call is safe.
  for (int i = 0; i < MAX_READS_PER_EVENT && !sock->closing; i++) {
    struct sockaddr_storage from;
    socklen_t from_length = sizeof from;
    ssize_t n = recvfrom(sock->fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &from_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      // A netlink watcher whose queue overflowed lost notices: say so (an
      // empty message) so the listener reads the whole state again.
      if (errno == ENOBUFS && sock->family == AF_NETLINK) {
        memset(&from, 0, sizeof from);
        from.ss_family = AF_NETLINK;
        deliver(sock, buffer, 0, &from);
        continue;
      }
      // EAGAIN: drained. Anything else concerns one datagram, not the socket.
      break;
    }
    // Netlink: only the kernel's notices (port 0), never another socket's.
    if (sock->family == AF_NETLINK && ((struct sockaddr_nl *)&from)->nl_pid != 0) continue;
    // A packet socket sees this host's own frames too (kernels before 4.20
    // ignore PACKET_IGNORE_OUTGOING): they are no other host's claim.
    if (sock->family == AF_PACKET && ((struct sockaddr_ll *)&from)->sll_pkttype == PACKET_OUTGOING) continue;
    deliver(sock, buffer, (size_t)n, &from);
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
  int family;                // AF_INET (device-bound, any address) or AF_INET6
  struct in6_addr local6;    // AF_INET6: the address to bind
  unsigned int scope;        // AF_INET6: the interface's index, found inside the namespace
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
static void open_udp6_socket(OpenRequest *request);
static void open_netlink_watch(OpenRequest *request);
static void open_arp_socket(OpenRequest *request);

static void open_device_socket(void *context) {
  OpenRequest *request = context;
  if (request->family == AF_PACKET) {
    open_arp_socket(request);
    return;
  }
  if (request->family == AF_NETLINK) {
    open_netlink_watch(request);
    return;
  }
  if (request->family == AF_INET6) {
    open_udp6_socket(request);
    return;
  }
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

// The IPv6 socket: bound to `local6` (a link-local address is scoped to
// the interface, whose index is looked up here, in the socket's own
// namespace), with multicast sent out of that interface.
static void open_udp6_socket(OpenRequest *request) {
  request->scope = if_nametoindex(request->iface);
  if (request->scope == 0) {
    open_failed(request, -1, "if_nametoindex");
    snprintf(request->what, sizeof request->what, "Failed to find interface \"%s\"", request->iface);
    return;
  }
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    open_failed(request, -1, "socket");
    snprintf(request->what, sizeof request->what, "Failed to create a UDP/IPv6 socket");
    return;
  }
  int one = 1;
  int index = (int)request->scope;
  // SO_REUSEADDR as node:dgram's reuseAddr: a restarted client binds again at once.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) < 0) {
    open_failed(request, fd, "setsockopt");
    snprintf(request->what, sizeof request->what, "Failed to set up the UDP/IPv6 socket on interface \"%s\"", request->iface);
    return;
  }
  struct sockaddr_in6 local;
  memset(&local, 0, sizeof local);
  local.sin6_family = AF_INET6;
  local.sin6_port = htons((uint16_t)request->port);
  local.sin6_addr = request->local6;
  if (IN6_IS_ADDR_LINKLOCAL(&request->local6)) local.sin6_scope_id = request->scope;
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    char address[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, &request->local6, address, sizeof address);
    open_failed(request, fd, "bind");
    snprintf(request->what, sizeof request->what, "Failed to bind [%s]:%u on interface \"%s\"", address, request->port, request->iface);
    return;
  }
  request->fd = fd;
}

// A netlink socket of the namespace it is made in, subscribed to link and
// address notices (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR).
static void open_netlink_watch(OpenRequest *request) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    open_failed(request, -1, "socket");
    snprintf(request->what, sizeof request->what, "Failed to create a netlink socket");
    return;
  }
  int receive_buffer = RECEIVE_BUFFER;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) < 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    open_failed(request, fd, "bind");
    snprintf(request->what, sizeof request->what, "Failed to subscribe to link and address notices");
    return;
  }
  request->fd = fd;
}

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

// The ARP socket: AF_PACKET, datagram mode (no Ethernet header to parse or
// build), ARP frames only, bound to the interface whose index is looked up
// here, in the socket's own namespace.
static void open_arp_socket(OpenRequest *request) {
  request->scope = if_nametoindex(request->iface);
  if (request->scope == 0) {
    open_failed(request, -1, "if_nametoindex");
    snprintf(request->what, sizeof request->what, "Failed to find interface \"%s\"", request->iface);
    return;
  }
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) {
    open_failed(request, -1, "socket");
    snprintf(request->what, sizeof request->what, "Failed to create an ARP packet socket");
    return;
  }
  // Best effort (Linux 4.20+); on_poll drops outgoing frames anyway.
  int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  struct sockaddr_ll local;
  memset(&local, 0, sizeof local);
  local.sll_family = AF_PACKET;
  local.sll_protocol = htons(ETH_P_ARP);
  local.sll_ifindex = (int)request->scope;
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    open_failed(request, fd, "bind");
    snprintf(request->what, sizeof request->what, "Failed to bind the ARP socket to interface \"%s\"", request->iface);
    return;
  }
  request->fd = fd;
}

// Reads onMessage (argv[0]) and onError (argv[1], may be absent or
// undefined). Returns 1, or 0 after throwing a TypeError.
static int get_callbacks(napi_env env, size_t argc, napi_value *argv, napi_valuetype *error_type) {
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    throw_type_error(env, "onMessage must be a function");
    return 0;
  }
  *error_type = napi_undefined;
  if (argc >= 2 && (napi_typeof(env, argv[1], error_type) != napi_ok || (*error_type != napi_function && *error_type != napi_undefined))) {
    throw_type_error(env, "onError must be a function");
    return 0;
  }
  return 1;
}

static napi_value start_socket(napi_env env, OpenRequest *request, napi_value on_message, napi_value on_error, napi_valuetype error_type);

// Makes the socket `request` describes in the namespace of fd `netns`
// (-1: here), then watches it. Throws what kept it from being made.
static napi_value open_socket(napi_env env, int netns, OpenRequest *request, napi_value on_message, napi_value on_error, napi_valuetype error_type) {
  int entered = netns_run(netns, open_device_socket, request);
  if (entered != 0) return throw_system_error(env, entered, "setns", "Failed to enter the network namespace");
  if (request->fd < 0) return throw_system_error(env, request->err, request->syscall, request->what);
  return start_socket(env, request, on_message, on_error, error_type);
}

// open6(iface, localAddress, port, onMessage, onError?, netns?) -> handle
napi_value Udp6Open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_type_error(env, "open6(iface, localAddress, port, onMessage, onError, netns) takes four to six arguments");
  char iface[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], iface) == 0) return NULL;
  char address[INET6_ADDRSTRLEN];
  OpenRequest request = {.iface = iface, .family = AF_INET6, .fd = -1};
  if (get_string_value(env, argv[1], "The local address", address, sizeof address) == 0) return NULL;
  if (inet_pton(AF_INET6, address, &request.local6) != 1) return throw_invalid_value(env, "The local address must be an IPv6 address without a zone");
  if (!get_u32_value(env, argv[2], "The port", 65535, &request.port)) return NULL;
  napi_valuetype error_type;
  if (!get_callbacks(env, argc - 3, argv + 3, &error_type)) return NULL;
  int netns = -1;
  if (argc >= 6 && !get_netns_fd(env, argv[5], &netns)) return NULL;

  return open_socket(env, netns, &request, argv[3], argc >= 5 ? argv[4] : NULL, error_type);
}

// watchNetlink(onMessage, onError?, netns?) -> handle
napi_value NetlinkWatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type_error(env, "watchNetlink(onMessage, onError, netns) takes one to three arguments");
  napi_valuetype error_type;
  if (!get_callbacks(env, argc, argv, &error_type)) return NULL;
  int netns = -1;
  if (argc >= 3 && !get_netns_fd(env, argv[2], &netns)) return NULL;
  OpenRequest request = {.iface = "netlink", .family = AF_NETLINK, .fd = -1};
  return open_socket(env, netns, &request, argv[0], argc >= 2 ? argv[1] : NULL, error_type);
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

// watchPidExit(pid, onExit, onError?) -> handle
napi_value PidExitWatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "watchPidExit(pid, onExit, onError) takes two or three arguments");
  uint32_t pid = 0;
  if (!get_u32_value(env, argv[0], "The process id", 0x7fffffff, &pid)) return NULL;
  if (pid == 0) return throw_invalid_value(env, "The process id must not be 0");
  napi_valuetype error_type;
  if (!get_callbacks(env, argc - 1, argv + 1, &error_type)) return NULL;
  // Close-on-exec and, for poll, non-blocking enough: it is only polled, never read.
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) return throw_system_error(env, errno, "pidfd_open", "Failed to watch the process");
  OpenRequest request = {.iface = "pidfd", .family = AF_UNSPEC, .fd = fd};
  return start_socket(env, &request, argv[1], argc >= 3 ? argv[2] : NULL, error_type);
}

// openArp(iface, onMessage, onError?, netns?) -> handle
napi_value ArpOpen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "openArp(iface, onMessage, onError, netns) takes two to four arguments");
  char iface[IF_NAMESIZE];
  if (get_interface_name(env, argv[0], iface) == 0) return NULL;
  napi_valuetype error_type;
  if (!get_callbacks(env, argc - 1, argv + 1, &error_type)) return NULL;
  int netns = -1;
  if (argc >= 4 && !get_netns_fd(env, argv[3], &netns)) return NULL;
  OpenRequest request = {.iface = iface, .family = AF_PACKET, .fd = -1};
  return open_socket(env, netns, &request, argv[1], argc >= 3 ? argv[2] : NULL, error_type);
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
  napi_valuetype error_type;
  if (!get_callbacks(env, argc - 2, argv + 2, &error_type)) return NULL;

  int netns = -1;
  if (argc >= 5 && !get_netns_fd(env, argv[4], &netns)) return NULL;

  OpenRequest request = {.iface = iface, .port = port, .family = AF_INET, .fd = -1};
  return open_socket(env, netns, &request, argv[2], argc >= 4 ? argv[3] : NULL, error_type);
}

// Watches the socket `request` made and wraps it in a JavaScript handle.
static napi_value start_socket(napi_env env, OpenRequest *request, napi_value on_message, napi_value on_error, napi_valuetype error_type) {
  int fd = request->fd;
  Udp4Socket *sock = calloc(1, sizeof *sock);
  if (sock == NULL) {
    close(fd);
    return throw_system_error(env, ENOMEM, "calloc", "Failed to allocate the socket");
  }
  sock->env = env;
  sock->fd = fd;
  snprintf(sock->iface, sizeof sock->iface, "%s", request->iface);
  sock->family = request->family;
  sock->scope = request->scope;
  sock->poll.data = sock;

  napi_value resource, resource_name;
  uv_loop_t *loop = NULL;
  if (napi_create_reference(env, on_message, 1, &sock->on_message) != napi_ok ||
      (error_type == napi_function && napi_create_reference(env, on_error, 1, &sock->on_error) != napi_ok) ||
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
  struct sockaddr_storage local;
  socklen_t length = sizeof local;
  if (getsockname(sock->fd, (struct sockaddr *)&local, &length) < 0) {
    return throw_system_error(env, errno, "getsockname", "Failed to read the socket's port");
  }
  // sin_port and sin6_port sit at the same offset.
  napi_value result;
  if (napi_create_uint32(env, ntohs(((struct sockaddr_in *)&local)->sin_port), &result) != napi_ok) return NULL;
  return result;
}

// The bytes of a Uint8Array argument; false for anything else.
static bool get_bytes(napi_env env, napi_value value, void **data, size_t *length) {
  bool is_typed_array = false;
  napi_typedarray_type array_type;
  return napi_is_typedarray(env, value, &is_typed_array) == napi_ok && is_typed_array &&
         napi_get_typedarray_info(env, value, &array_type, length, data, NULL, NULL) == napi_ok && array_type == napi_uint8_array;
}

// filterChaddr(handle, mac): a classic BPF socket filter keeping only the
// datagrams whose BOOTP chaddr (payload bytes 28-33) is `mac`. On a bridge
// every DHCPv4 reply is broadcast (the client asks for it: a UDP socket
// cannot take a unicast to an address the link does not have yet), so each
// container's socket gets every other container's OFFER and ACK; one
// process serving N containers would wake N times per reply and copy each
// into JavaScript only to drop it there. The kernel drops them instead.
napi_value Udp4FilterChaddr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "filterChaddr(handle, mac) takes two arguments");
  Udp4Socket *sock = get_socket(env, argv[0]);
  if (sock == NULL) return NULL;
  if (sock->closing) return throw_system_error(env, EBADF, "setsockopt", "The socket is closed");
  if (sock->family != AF_INET) return throw_invalid_value(env, "Only a UDP/IPv4 socket takes a chaddr filter");
  size_t length = 0;
  void *data = NULL;
  if (!get_bytes(env, argv[1], &data, &length) || length != 6) {
    return throw_type_error(env, "The hardware address must be a Uint8Array of 6 bytes");
  }
  const unsigned char *mac = data;
  // Offsets count from the UDP header, where a UDP socket's filter starts:
  // 8 bytes of it, then chaddr at 28 in the BOOTP message. Loads are big-endian.
  uint32_t head = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
  uint32_t tail = (uint32_t)mac[4] << 8 | mac[5];
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8 + 28),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, head, 0, 3),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 8 + 32),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, tail, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      // Also what a datagram too short to hold a chaddr gets.
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
  if (setsockopt(sock->fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) {
    return throw_system_error(env, errno, "setsockopt", "Failed to attach the chaddr filter");
  }
  return NULL;
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
  if (sock->family != AF_INET && sock->family != AF_INET6) return throw_invalid_value(env, "Only a UDP socket sends datagrams; use sendArp for an ARP socket");

  size_t length = 0;
  void *data = NULL;
  if (!get_bytes(env, argv[1], &data, &length)) return throw_type_error(env, "The datagram must be a Uint8Array");
  char address[INET6_ADDRSTRLEN];
  struct sockaddr_in to;
  struct sockaddr_in6 to6;
  memset(&to, 0, sizeof to);
  memset(&to6, 0, sizeof to6);
  to.sin_family = AF_INET;
  to6.sin6_family = AF_INET6;
  if (get_string_value(env, argv[2], "The address", address, sizeof address) == 0) return NULL;
  if (sock->family == AF_INET6) {
    if (inet_pton(AF_INET6, address, &to6.sin6_addr) != 1) {
      return throw_invalid_value(env, "The address must be an IPv6 address without a zone");
    }
    // Link-scoped destinations (fe80::/10, ff02::/16) go out of the socket's interface.
    if (IN6_IS_ADDR_LINKLOCAL(&to6.sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&to6.sin6_addr)) to6.sin6_scope_id = sock->scope;
  } else if (inet_pton(AF_INET, address, &to.sin_addr) != 1) {
    return throw_invalid_value(env, "The address must be an IPv4 address in dotted-quad form");
  }
  uint32_t port = 0;
  if (!get_u32_value(env, argv[3], "The port", 65535, &port)) return NULL;
  if (port == 0) return throw_invalid_value(env, "The port must be a whole number from 1 to 65535");
  to.sin_port = htons((uint16_t)port);
  to6.sin6_port = htons((uint16_t)port);
  const struct sockaddr *destination = sock->family == AF_INET6 ? (const struct sockaddr *)&to6 : (const struct sockaddr *)&to;
  socklen_t destination_length = sock->family == AF_INET6 ? sizeof to6 : sizeof to;

  ssize_t sent;
  do {
    sent = sendto(sock->fd, data, length, 0, destination, destination_length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    int err = errno;
    char what[128];
    snprintf(what, sizeof what, "Failed to send to %s:%u on interface \"%s\"", address, port, sock->iface);
    return throw_system_error(env, err, "sendto", what);
  }
  return NULL;
}

// Longest ARP packet sendArp takes: an Ethernet payload.
#define MAX_ARP_PACKET 1500

// sendArp(handle, bytes): broadcasts one ARP packet (without the Ethernet
// header) out of the socket's interface.
napi_value ArpSend(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type_error(env, "sendArp(handle, bytes) takes two arguments");
  Udp4Socket *sock = get_socket(env, argv[0]);
  if (sock == NULL) return NULL;
  if (sock->closing) return throw_system_error(env, EBADF, "sendto", "The socket is closed");
  if (sock->family != AF_PACKET) return throw_invalid_value(env, "Only an ARP socket (openArp) sends ARP packets");
  size_t length = 0;
  void *data = NULL;
  if (!get_bytes(env, argv[1], &data, &length)) return throw_type_error(env, "The ARP packet must be a Uint8Array");
  if (length == 0 || length > MAX_ARP_PACKET) return throw_invalid_value(env, "The ARP packet must have 1 to 1500 bytes");
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = (int)sock->scope;
  to.sll_halen = 6;
  memset(to.sll_addr, 0xff, 6);
  ssize_t sent;
  do {
    sent = sendto(sock->fd, data, length, 0, (const struct sockaddr *)&to, sizeof to);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    char what[128];
    snprintf(what, sizeof what, "Failed to send an ARP packet on interface \"%s\"", sock->iface);
    return throw_system_error(env, errno, "sendto", what);
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
