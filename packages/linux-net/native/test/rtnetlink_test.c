// Unit test of the reply checks in rtnetlink.c, run by
// src/rtnetlink-checks.test.ts (compiled there with the system C
// compiler). It asks the kernel for link "lo" (present in every network
// namespace, no privilege needed) with rtnetlink_talk, while recv and
// recvmsg are wrapped to deliver scripted datagrams first: a forged
// refusal from another process (nl_pid != 0), one from the kernel with a
// foreign sequence number, one larger than the first reply buffer, and a
// truncated one; and sendto to have a second socket send a real forged
// datagram to the requesting one, which the kernel must refuse. Prints
// one line per case and exits 1 on a failure.

#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  uint32_t pid;         // the sender's port id (0: the kernel)
  int sequence_offset;  // added to the request's sequence number
  int error;            // the NLMSG_ERROR's error (negative errno)
  size_t size;          // the datagram's size (padded with NLMSG_NOOP)
  int truncated;        // report MSG_TRUNC
} Scripted;

static Scripted script[4];
static int scripted = 0;
static uint32_t request_sequence;
static char datagram[65536];

static size_t build(const Scripted *s) {
  memset(datagram, 0, s->size);
  struct nlmsghdr *header = (struct nlmsghdr *)datagram;
  header->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
  header->nlmsg_type = NLMSG_ERROR;
  header->nlmsg_seq = request_sequence + (uint32_t)s->sequence_offset;
  ((struct nlmsgerr *)NLMSG_DATA(header))->error = s->error;
  size_t used = NLMSG_ALIGN(header->nlmsg_len);
  if (s->size > used) {
    struct nlmsghdr *padding = (struct nlmsghdr *)(datagram + used);
    padding->nlmsg_len = (uint32_t)(s->size - used);
    padding->nlmsg_type = NLMSG_NOOP;
  }
  return s->size;
}

// Set to make scripted_sendto, once the request is sent, send a forged
// refusal to the requesting socket from a second netlink socket of this
// process (a real datagram, through the kernel); the send's outcome is
// kept in forged_sent and forged_errno.
static int forge_after_send = 0;
static int forged_sent = 0;
static int forged_errno = 0;

static void send_forged_refusal(int fd) {
  struct sockaddr_nl own;
  socklen_t own_length = sizeof own;
  if (getsockname(fd, (struct sockaddr *)&own, &own_length) < 0) return;
  int other = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (other < 0) return;
  Scripted forged = {.pid = 0, .error = -EPERM, .size = NLMSG_LENGTH(sizeof(struct nlmsgerr))};
  size_t size = build(&forged);
  struct sockaddr_nl to = {.nl_family = AF_NETLINK, .nl_pid = own.nl_pid};
  forged_sent = sendto(other, datagram, size, 0, (struct sockaddr *)&to, sizeof to) >= 0;
  forged_errno = forged_sent ? 0 : errno;
  close(other);
}

static ssize_t scripted_sendto(int fd, const void *data, size_t length, int flags, const struct sockaddr *to, socklen_t to_length) {
  request_sequence = ((const struct nlmsghdr *)data)->nlmsg_seq;
  ssize_t sent = sendto(fd, data, length, flags, to, to_length);
  if (forge_after_send) send_forged_refusal(fd);
  return sent;
}

static ssize_t scripted_recv(int fd, void *buffer, size_t length, int flags) {
  if (scripted == 0) return recv(fd, buffer, length, flags);
  size_t size = build(&script[0]);
  memcpy(buffer, datagram, size < length ? size : length);
  return (ssize_t)size;  // MSG_TRUNC: the real length
}

static ssize_t scripted_recvmsg(int fd, struct msghdr *message, int flags) {
  if (scripted == 0) return recvmsg(fd, message, flags);
  Scripted s = script[0];
  memmove(script, script + 1, sizeof script[0] * (size_t)--scripted);
  size_t size = build(&s);
  size_t copied = size < message->msg_iov[0].iov_len ? size : message->msg_iov[0].iov_len;
  memcpy(message->msg_iov[0].iov_base, datagram, copied);
  struct sockaddr_nl *from = message->msg_name;
  memset(from, 0, sizeof *from);
  from->nl_family = AF_NETLINK;
  from->nl_pid = s.pid;
  message->msg_namelen = sizeof *from;
  message->msg_flags = s.truncated || copied < size ? MSG_TRUNC : 0;
  return (ssize_t)copied;
}

#define sendto scripted_sendto
#define recv scripted_recv
#define recvmsg scripted_recvmsg
#include "../rtnetlink.c"
#include "../netns_run.c"
#undef sendto
#undef recv
#undef recvmsg

static int on_link(const struct nlmsghdr *header, void *context) {
  if (header->nlmsg_type == RTM_NEWLINK) ++*(int *)context;
  return 0;
}

// Reads link "lo" after the scripted datagrams; returns rtnetlink_talk's result, *links the links seen.
static int read_lo(int *links) {
  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
    char attributes[32];
  } request;
  rtnetlink_start_request(&request.header, sizeof request, RTM_GETLINK, sizeof request.link);
  rtnetlink_add_attribute(&request.header, IFLA_IFNAME, "lo", 3);
  *links = 0;
  return rtnetlink_talk(&request.header, on_link, links);
}

static int failures = 0;

// Reads "lo" after the scripted datagrams and compares.
static void check(const char *name, int expected_result, int expected_links) {
  int links = 0;
  int result = read_lo(&links);
  int ok = result == expected_result && links == expected_links;
  printf("%s %s: result %d (want %d), links %d (want %d)\n", ok ? "ok" : "FAIL", name, result, expected_result, links, expected_links);
  if (!ok) failures++;
}

int main(void) {
  check("the kernel's answer alone", 0, 1);

  script[0] = (Scripted){.pid = 4242, .error = -EPERM, .size = NLMSG_LENGTH(sizeof(struct nlmsgerr))};
  scripted = 1;
  check("a refusal forged by another process is ignored", 0, 1);

  script[0] = (Scripted){.pid = 0, .sequence_offset = 1, .error = -EPERM, .size = NLMSG_LENGTH(sizeof(struct nlmsgerr))};
  scripted = 1;
  check("a refusal of another sequence number is ignored", 0, 1);

  script[0] = (Scripted){.pid = 0, .sequence_offset = 7, .error = -EPERM, .size = 40000};
  scripted = 1;
  check("a datagram larger than the first buffer is read whole", 0, 1);

  script[0] = (Scripted){.pid = 0, .error = -EPERM, .size = NLMSG_LENGTH(sizeof(struct nlmsgerr)), .truncated = 1};
  scripted = 1;
  check("a truncated datagram is an error", EMSGSIZE, 0);

  script[0] = (Scripted){.pid = 0, .error = -EPERM, .size = NLMSG_LENGTH(sizeof(struct nlmsgerr))};
  scripted = 1;
  check("the kernel's own refusal counts", EPERM, 0);

  // Ignoring such datagrams is not enough: anyone in the namespace can
  // read our port id from /proc/net/netlink and keep our queue full, so
  // a dump's next part never comes and the loop reads forgeries forever.
  // Connected to the kernel, the socket takes datagrams from it alone.
  forge_after_send = 1;
  check("the kernel's answer while another socket sends to ours", 0, 1);
  forge_after_send = 0;
  int refused = !forged_sent && forged_errno == ECONNREFUSED;
  printf("%s a datagram from another socket is refused by the kernel: sent %d, errno %d (want 0, ECONNREFUSED %d)\n", refused ? "ok" : "FAIL",
         forged_sent, forged_errno, ECONNREFUSED);
  if (!refused) failures++;

  return failures == 0 ? 0 : 1;
}
