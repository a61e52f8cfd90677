// The rtnetlink plumbing link.c, address.c and route.c share: appending
// an attribute to a request, parsing attributes, and one request/answer
// exchange with the kernel on a socket of the calling thread's network
// namespace, or of the namespace rtnetlink_netns names (netns_run.h).
//
// An exchange makes its own socket, unless the call names one of
// rtnetlink_open (rtnetlink_socket): a NIC's configurator keeps one per
// namespace, so its exchanges need no setns and no socket() each. Every
// exchange owns its reply buffer (malloc'd, sized to each datagram with
// MSG_PEEK | MSG_TRUNC), so calls from several worker threads never
// share memory. The socket is connected to the kernel, so
// another process of the namespace (root in a container, whose namespace
// a runner enters) cannot send to our port at all; and only datagrams
// from the kernel (nl_pid 0) and messages carrying the request's sequence
// number count, should anything else arrive.

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "addon.h"

// A dump datagram is at most 32 KiB today (the kernel's netlink_dump
// cap); room for growth, but a bound.
#define MAX_DATAGRAM (1024 * 1024)

void rtnetlink_start_request(struct nlmsghdr *request, size_t size, unsigned short type, size_t header_size) {
  memset(request, 0, size);
  request->nlmsg_len = NLMSG_LENGTH(header_size);
  request->nlmsg_type = type;
  request->nlmsg_flags = NLM_F_REQUEST;
}

void rtnetlink_add_attribute(struct nlmsghdr *request, unsigned short type, const void *data, size_t length) {
  struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->nlmsg_len));
  attribute->rta_type = type;
  attribute->rta_len = RTA_LENGTH(length);
  memcpy(RTA_DATA(attribute), data, length);
  request->nlmsg_len = NLMSG_ALIGN(request->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
}

void rtnetlink_parse_attributes(const struct rtattr **table, int max, const struct rtattr *first, int length) {
  memset(table, 0, sizeof *table * (size_t)(max + 1));
  for (const struct rtattr *a = first; RTA_OK(a, length); a = RTA_NEXT(a, length)) {
    if (a->rta_type <= max) table[a->rta_type] = a;
  }
}

int rtnetlink_dump(unsigned short type, unsigned char family, size_t header_size, rtnetlink_handler handler, void *context) {
  struct {
    struct nlmsghdr header;
    unsigned char family[16];
  } request;
  if (header_size > sizeof request.family) return EINVAL;
  rtnetlink_start_request(&request.header, sizeof request, type, header_size);
  request.header.nlmsg_flags |= NLM_F_DUMP;
  // ifaddrmsg, rtmsg and the other family headers all start with it.
  request.family[0] = family;
  return rtnetlink_talk(&request.header, handler, context);
}

// The kernel's explanation of the calling thread's last refused request
// (extended ACK), as ip prints it ("Nexthop has invalid gateway").
static __thread char refusal[160];

const char *rtnetlink_refusal(void) {
  return refusal;
}

// Keeps the extended ACK's message of refusal `header`, if it has one.
static void keep_refusal(const struct nlmsghdr *header) {
  if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const struct nlmsgerr *error = NLMSG_DATA(header);
  size_t offset = NLMSG_HDRLEN + sizeof *error;
  // Unless capped, the refused request follows, whole; the TLVs come after it.
  if (!(header->nlmsg_flags & NLM_F_CAPPED)) {
    if (error->msg.nlmsg_len < NLMSG_HDRLEN) return;
    offset += NLMSG_ALIGN(error->msg.nlmsg_len - NLMSG_HDRLEN);
  }
  if (offset >= header->nlmsg_len) return;
  const struct rtattr *table[NLMSGERR_ATTR_MAX + 1];
  rtnetlink_parse_attributes(table, NLMSGERR_ATTR_MAX, (const struct rtattr *)((const char *)header + offset), (int)(header->nlmsg_len - offset));
  const struct rtattr *message = table[NLMSGERR_ATTR_MSG];
  if (message == NULL) return;
  size_t length = strnlen(RTA_DATA(message), RTA_PAYLOAD(message));
  if (length >= sizeof refusal) length = sizeof refusal - 1;
  memcpy(refusal, RTA_DATA(message), length);
  refusal[length] = '\0';
}

// Distinct across threads and calls, never 0 (which some senders use).
static uint32_t next_sequence(void) {
  static _Atomic uint32_t sequence;
  uint32_t value;
  do {
    value = atomic_fetch_add(&sequence, 1) + 1;
  } while (value == 0);
  return value;
}

// Receives one datagram from the kernel into *buffer (grown as needed).
// Returns its length, or -errno.
static ssize_t receive_from_kernel(int fd, char **buffer, size_t *capacity) {
  for (;;) {
    ssize_t size;
    do {
      size = recv(fd, *buffer, *capacity, MSG_PEEK | MSG_TRUNC);
    } while (size < 0 && errno == EINTR);
    if (size < 0) return -errno;
    if ((size_t)size > *capacity) {
      if ((size_t)size > MAX_DATAGRAM) return -EMSGSIZE;
      char *larger = realloc(*buffer, (size_t)size);
      if (larger == NULL) return -ENOMEM;
      *buffer = larger;
      *capacity = (size_t)size;
    }
    struct sockaddr_nl from;
    struct iovec vector = {.iov_base = *buffer, .iov_len = *capacity};
    struct msghdr message = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1};
    ssize_t count;
    do {
      count = recvmsg(fd, &message, 0);
    } while (count < 0 && errno == EINTR);
    if (count < 0) return -errno;
    if (message.msg_flags & MSG_TRUNC) return -EMSGSIZE;
    if (message.msg_namelen != sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    return count;
  }
}

// The socket, made in the namespace of rtnetlink_netns (the thread's own
// when -1). It keeps talking to that namespace's kernel side from here.
typedef struct {
  int fd;
  int err;
} NetlinkSocket;

static void open_netlink_socket(void *context) {
  NetlinkSocket *result = context;
  result->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  result->err = result->fd < 0 ? errno : 0;
}

_Thread_local int rtnetlink_socket = -1;

int rtnetlink_open(int netns, int *out) {
  NetlinkSocket made = {.fd = -1};
  int entered = netns_run(netns, open_netlink_socket, &made);
  if (entered != 0) return entered;
  int fd = made.fd;
  if (fd < 0) return made.err;
  // Best effort: without it a refusal only has its errno.
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  // The kernel answers while handling sendto(); the timeout only guards against the unexpected.
  struct timeval timeout = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // Connected to the kernel (port 0), the socket takes datagrams from it
  // alone: the kernel refuses (ECONNREFUSED) what another socket sends to
  // our port. Ignoring such datagrams (below) is not enough: anyone in the
  // namespace can read our port id from /proc/net/netlink and keep our
  // queue full, so a dump's next part never comes and the loop would
  // read forgeries for as long as they are sent.
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (connect(fd, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *out = fd;
  return 0;
}

int rtnetlink_check_socket(int fd) {
  int domain = 0, protocol = 0;
  socklen_t size = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) return errno == ENOTSOCK ? EINVAL : errno;
  size = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &size) != 0) return errno;
  return domain == AF_NETLINK && protocol == NETLINK_ROUTE ? 0 : EINVAL;
}

int rtnetlink_talk(struct nlmsghdr *request, rtnetlink_handler handler, void *context) {
  int dump = (request->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) request->nlmsg_flags |= NLM_F_ACK;
  request->nlmsg_seq = next_sequence();
  refusal[0] = '\0';
  // A kept socket is connected to its namespace's kernel side already;
  // answers to earlier requests left in its queue (an exchange cut short)
  // carry another sequence number and are skipped below.
  int kept = rtnetlink_socket >= 0;
  int fd = rtnetlink_socket;
  if (!kept) {
    int err = rtnetlink_open(rtnetlink_netns, &fd);
    if (err != 0) return err;
  }
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do {
    sent = sendto(fd, request, request->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    int err = errno;
    if (!kept) close(fd);
    return err;
  }
  size_t capacity = 32768;
  char *buffer = malloc(capacity);
  int result = buffer == NULL ? ENOMEM : -1;
  while (result < 0) {
    ssize_t received = receive_from_kernel(fd, &buffer, &capacity);
    if (received < 0) {
      result = (int)-received;
      break;
    }
    int remaining = (int)received;
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; result < 0 && NLMSG_OK(header, remaining); header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_seq != request->nlmsg_seq) continue;
      if (header->nlmsg_type == NLMSG_ERROR) {
        if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
          result = EPROTO;
        } else {
          result = -((struct nlmsgerr *)NLMSG_DATA(header))->error;
          if (result != 0) keep_refusal(header);
        }
      } else if (header->nlmsg_type == NLMSG_DONE) {
        int error = 0;
        if (header->nlmsg_len >= NLMSG_LENGTH(sizeof error)) memcpy(&error, NLMSG_DATA(header), sizeof error);
        result = error < 0 ? -error : 0;
      } else if (header->nlmsg_type != NLMSG_NOOP && handler != NULL) {
        int err = handler(header, context);
        if (err != 0) result = err;
      }
    }
  }
  free(buffer);
  if (!kept) close(fd);
  return result;
}
