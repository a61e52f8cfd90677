// netns_run.c: work inside another network namespace without moving the
// thread for longer than the work.
#ifndef INCUSX_LINUX_NET_NETNS_RUN_H
#define INCUSX_LINUX_NET_NETNS_RUN_H

// Runs `work(context)` on the calling thread inside the network namespace
// of fd `target` (-1: where the thread is), in one synchronous step:
// setns into it, work, setns back into the thread's namespace, which is
// opened as an fd before leaving. The thread always comes back; if it
// cannot, the process aborts (going on in the wrong namespace would be
// worse). `work` must make plain system calls only. Returns 0 once `work`
// ran, or the errno that kept it from running (opening the thread's
// namespace, entering the target).
int netns_run(int target, void (*work)(void *context), void *context);

// The namespace (fd, -1 for the thread's own) rtnetlink_talk opens its
// socket in and interface_index looks names up in: set by the addon's
// wrapper around one netlink call (with_netns_argument in addon.c) and
// reset when it returns. Per thread.
extern _Thread_local int rtnetlink_netns;

// A netlink socket of rtnetlink_open (fd, -1 for none) rtnetlink_talk
// sends on instead of making its own, and interface_index asks through
// (it lives in its namespace): set by the same wrapper as rtnetlink_netns,
// which it overrides. Per thread.
extern _Thread_local int rtnetlink_socket;

#endif
