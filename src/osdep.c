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

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#ifdef HAVE_LINUX_SOCKIOS_H
#include <linux/sockios.h>
#endif
#ifdef HAVE_LINUX_ERRQUEUE_H
#include <linux/errqueue.h>
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
	return (int)sys_sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
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
		if ((n = sys_recv(fd, buf, sizeof(buf), 0)) <= 0)
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

	fd = sys_socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
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

	if (sys_ioctl_int(fd, SIOCOUTQ, "SIOCOUTQ", &q) == -1)
		return -1;
	*n = q < 0 ? 0 : (size_t)q;
	return 0;
#else
	(void)fd;
	(void)n;
	return -1;
#endif
}

/* Can the relay splice(2) here? */
bool
osdep_splice(void)
{
#ifdef HAVE_SPLICE
	return true;
#else
	return false;
#endif
}

/*
 * A pipe for the relay's splice path: both ends close-on-exec and
 * non-blocking, and as large as want where the system lets it grow
 * (F_SETPIPE_SZ); *size is its capacity. -1 with errno (EMFILE...).
 */
int
osdep_pipe(int fds[2], size_t want, size_t *size)
{
#ifdef HAVE_SPLICE
	int	 n;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	*size = 65536;		/* the Linux default */
#ifdef F_SETPIPE_SZ
	if (want > INT_MAX)
		want = INT_MAX;
	(void)fcntl(fds[1], F_SETPIPE_SZ, (int)want);
	if ((n = fcntl(fds[1], F_GETPIPE_SZ)) > 0)
		*size = (size_t)n;
#else
	(void)want;
	(void)n;
#endif
	return 0;
#else
	(void)fds;
	(void)want;
	(void)size;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Make every message on a UNIX message socket carry the sender's
 * credentials (SO_PASSCRED): they tell who sent a datagram, and on a
 * SEQPACKET socket an empty message from the end of file, which carries
 * none. 0 when done, -1 when impossible here.
 */
int
osdep_msg_mark(int fd)
{
#if defined(SO_PASSCRED) && defined(SCM_CREDENTIALS)
	return sock_setint(fd, SOL_SOCKET, SO_PASSCRED, 1);
#else
	(void)fd;
	return -1;
#endif
}

/*
 * Ask the kernel to attach each datagram's destination address, TTL or
 * hop limit, and arrival time. An IPv6 socket also receives IPv4 (mapped)
 * datagrams, so it asks at both levels; -1 if the essential ones fail.
 */
int
osdep_recv_meta(int fd, int family)
{
	int	 rv = 0;

	if (sock_setint(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) == -1)
		rv = -1;
	if (osdep_recv_dst(fd, family) == -1)
		rv = -1;
	if (family == AF_INET6) {
		if (sock_setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) == -1)
			rv = -1;
		(void)sock_setint(fd, IPPROTO_IP, IP_RECVTTL, 1);
	} else if (family == AF_INET) {
		if (sock_setint(fd, IPPROTO_IP, IP_RECVTTL, 1) == -1)
			rv = -1;
	}
	return rv;
}

/* Only each datagram's destination address (IP_PKTINFO, IPV6_PKTINFO). */
int
osdep_recv_dst(int fd, int family)
{
	if (family == AF_INET6) {
		(void)sock_setint(fd, IPPROTO_IP, IP_PKTINFO, 1);
		return sock_setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	}
	if (family == AF_INET)
		return sock_setint(fd, IPPROTO_IP, IP_PKTINFO, 1);
	return 0;
}

/*
 * A socket that joined multicast groups hears only those groups: Linux
 * otherwise delivers to a wildcard-bound socket every group any socket
 * of the host joined on its port (IP_MULTICAST_ALL, IPV6_MULTICAST_ALL,
 * the latter since Linux 4.20: a kernel without it is left as it is).
 */
int
osdep_mcast_only(int fd, int family)
{
#ifdef IP_MULTICAST_ALL
	if (family == AF_INET &&
	    sock_setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) == -1)
		return -1;
#endif
#ifdef IPV6_MULTICAST_ALL
	if (family == AF_INET6 &&
	    sock_setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) == -1 &&
	    errno != ENOPROTOOPT)
		return -1;
#endif
	(void)fd;
	(void)family;
	return 0;
}

static void
meta_dst4(struct sc_dgram_meta *m, struct in_addr a)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&m->dst;

	memset(s4, 0, sizeof(*s4));
	s4->sin_family = AF_INET;
	s4->sin_addr = a;
	m->dstlen = sizeof(*s4);
	m->has_dst = true;
}

static void
meta_dst6(struct sc_dgram_meta *m, struct in6_addr a)
{
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&m->dst;

	memset(s6, 0, sizeof(*s6));
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = a;
	m->dstlen = sizeof(*s6);
	m->has_dst = true;
}

/* The sender's credentials (SCM_CREDENTIALS), of a UNIX message. */
static void
meta_cred(const struct cmsghdr *c, struct sc_dgram_meta *m)
{
#if defined(SO_PASSCRED) && defined(SCM_CREDENTIALS)
	struct ucred	 uc;

	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
	    c->cmsg_len < CMSG_LEN(sizeof(uc)))
		return;
	memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	m->has_cred = true;
	m->pid = uc.pid;
	m->uid = uc.uid;
	m->gid = uc.gid;
#else
	(void)c;
	(void)m;
#endif
}

/*
 * Pick the metadata out of a received message's control data; a UNIX
 * message's credentials too (they come when SO_PASSCRED is on: see
 * osdep_msg_mark()).
 */
void
osdep_msg_meta(const struct msghdr *msg, struct sc_dgram_meta *m)
{
	struct msghdr	*mh = (struct msghdr *)(uintptr_t)msg;
	struct cmsghdr	*c;
	int		 v;

	m->ttl = -1;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		unsigned char	*d = CMSG_DATA(c);

		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS) {
			memcpy(&m->time, d, sizeof(m->time));
			m->has_time = true;
		} else if (c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo	 pi;

			memcpy(&pi, d, sizeof(pi));
			meta_dst4(m, pi.ipi_addr);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo	 pi;

			memcpy(&pi, d, sizeof(pi));
			meta_dst6(m, pi.ipi6_addr);
		} else if ((c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_TTL) || (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_HOPLIMIT)) {
			memcpy(&v, d, sizeof(v));
			m->ttl = v;
		} else
			meta_cred(c, m);
	}
}

/* The credentials of a UNIX socket's peer (SO_PEERCRED); -1 if unknown. */
int
osdep_peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid)
{
#ifdef SO_PEERCRED
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);

	if (sys_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 ||
	    len != sizeof(uc) || uc.pid == 0)
		return -1;
	*pid = uc.pid;
	*uid = uc.uid;
	*gid = uc.gid;
	return 0;
#else
	(void)fd;
	(void)pid;
	(void)uid;
	(void)gid;
	return -1;
#endif
}

/*
 * In a child about to exec: put the signals the C library keeps for
 * itself (32 and 33 in glibc, below SIGRTMIN) back to their default.
 * sigaction() refuses to touch them, yet a parent started by
 * posix_spawn() may have left them ignored, and ignored signals survive
 * exec. The kernel's own call takes an all-zero action (SIG_DFL) in any
 * layout; the size of its signal set is 8 bytes, or 16 on some targets.
 */
void
osdep_child_signals(void)
{
#if defined(__linux__) && defined(SYS_rt_sigaction) && defined(SIGRTMIN)
	unsigned long	 act[16];
	int		 sig;

	memset(act, 0, sizeof(act));
	for (sig = 32; sig < SIGRTMIN; sig++) {
		if (syscall(SYS_rt_sigaction, sig, act, NULL, 8) == -1)
			(void)syscall(SYS_rt_sigaction, sig, act, NULL, 16);
	}
#endif
}

/*
 * MSG_ZEROCOPY: read one notification from the socket's error queue.
 * 1 with the range of sends [*lo, *hi] the kernel is done with (and
 * *copied if it copied them after all), 0 for another kind of message,
 * -1 with errno (EAGAIN: the queue is empty). Systems without it have
 * nothing queued.
 */
int
osdep_zerocopy_done(int fd, uint32_t *lo, uint32_t *hi, bool *copied)
{
#if defined(HAVE_LINUX_ERRQUEUE_H) && defined(SO_EE_ORIGIN_ZEROCOPY)
	struct sock_extended_err	 ee;
	struct msghdr			 msg;
	struct cmsghdr			*c;
	union {
		char		 buf[CMSG_SPACE(sizeof(ee) + 64)];
		struct cmsghdr	 align;
	}				 cbuf;

	memset(&msg, 0, sizeof(msg));
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	if (sys_recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (!((c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_RECVERR)) ||
		    c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee.ee_errno != 0)
			continue;
		*lo = ee.ee_info;
		*hi = ee.ee_data;
		*copied = (ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0;
		return 1;
	}
	return 0;
#else
	(void)fd;
	(void)lo;
	(void)hi;
	(void)copied;
	errno = EAGAIN;
	return -1;
#endif
}
