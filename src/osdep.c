/*
 * What only some systems can tell. Each function has a portable answer
 * ("don't know") for systems without the facility, so callers never need
 * an #ifdef.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LINUX_SOCKIOS_H
#include <linux/sockios.h>
#endif
#ifdef HAVE_LINUX_UNIX_DIAG_H
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#endif

#include "sockcat.h"

#ifdef HAVE_LINUX_UNIX_DIAG_H
/* Does this sock_diag reply name a socket bound to the file st? */
static bool
diag_matches(struct unix_diag_msg *m, size_t len, const struct stat *st)
{
	struct rtattr		*a = (struct rtattr *)(m + 1);
	struct unix_diag_vfs	 vfs;
	int			 left = (int)(len - NLMSG_LENGTH(sizeof(*m)));

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type != UNIX_DIAG_VFS ||
		    RTA_PAYLOAD(a) < (int)sizeof(vfs))
			continue;
		memcpy(&vfs, RTA_DATA(a), sizeof(vfs));
		/* The kernel's dev_t: 12 bits of major, 20 of minor. */
		return vfs.udiag_vfs_ino == st->st_ino &&
		    (vfs.udiag_vfs_dev >> 20) == major(st->st_dev) &&
		    (vfs.udiag_vfs_dev & 0xfffff) == minor(st->st_dev);
	}
	return false;
}

static int
diag_request(int fd)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	} msg;
	struct sockaddr_nl	 sa;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = ~0U;
	msg.req.udiag_show = UDIAG_SHOW_VFS;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	return (int)sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
	    sizeof(sa));
}

/* Read the dump: 1 when a socket is bound to st, 0 when none, -1 error. */
static int
diag_scan(int fd, const struct stat *st)
{
	long		 buf[8192 / sizeof(long)];
	struct nlmsghdr	*h;
	ssize_t		 n;
	size_t		 left;
	int		 found = 0;

	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			return -1;
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		    h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(
			    sizeof(struct unix_diag_msg)))
				continue;
			if (diag_matches(NLMSG_DATA(h), h->nlmsg_len, st))
				found = 1;
		}
	}
}
#endif

/*
 * Is a socket of this network namespace bound to the socket file st?
 * 1 yes, 0 no, -1 cannot tell (no sock_diag). Unlike a connect() probe,
 * asking the kernel disturbs no server.
 */
int
osdep_unix_bound(const struct stat *st)
{
#ifdef HAVE_LINUX_UNIX_DIAG_H
	int	 fd, rv;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1)
		return -1;
	rv = diag_request(fd) == -1 ? -1 : diag_scan(fd, st);
	(void)sys_close(fd);
	return rv;
#else
	(void)st;
	return -1;
#endif
}

/*
 * Bytes of a TCP socket's stream (and its FIN) that the peer has not yet
 * acknowledged; -1 when the system cannot tell.
 */
int
osdep_unacked(int fd, size_t *n)
{
#ifdef SIOCOUTQ
	int	 q;

	if (ioctl(fd, SIOCOUTQ, &q) == -1)
		return -1;
	*n = q < 0 ? 0 : (size_t)q;
	return 0;
#else
	(void)fd;
	(void)n;
	return -1;
#endif
}
