// The rtnetlink plumbing link.c and address.c share: appending an
// attribute to a request, and one request/answer exchange with the kernel
// on a socket of the calling thread's network namespace.

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "addon.h"

void rtnetlink_add_attribute(struct nlmsghdr *request, unsigned short type, const void *data, size_t length) {
  struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->nlmsg_len));
  attribute->rta_type = type;
  attribute->rta_len = RTA_LENGTH(length);
  memcpy(RTA_DATA(attribute), data, length);
  request->nlmsg_len = NLMSG_ALIGN(request->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
}

int rtnetlink_exchange(const struct nlmsghdr *request, char *reply, size_t size, size_t *received) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  // The kernel answers while handling sendto(); the timeout only guards against the unexpected.
  struct timeval timeout = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, request, request->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  ssize_t count;
  do {
    count = recv(fd, reply, size, 0);
  } while (count < 0 && errno == EINTR);
  int err = count < 0 ? errno : 0;
  close(fd);
  *received = count < 0 ? 0 : (size_t)count;
  return err;
}
