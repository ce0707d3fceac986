/*
 * --send-flags zerocopy: MSG_ZEROCOPY sends whose bytes stay untouched
 * until the kernel says it is done with them.
 *
 * With MSG_ZEROCOPY the kernel sends from the caller's pages instead of a
 * copy, and may read them again (retransmissions) until the data has been
 * acknowledged; it tells when, through the socket's error queue, by
 * numbering each zero-copy send from 0 and reporting ranges of numbers.
 * The relay reuses its buffer as soon as a send returns, so each send
 * goes from a chunk of its own here, freed when its notification comes.
 * The chunks are bounded (ZCOPY_MAX bytes, ZCOPY_SLOTS sends): beyond
 * that, and when the kernel refuses more notifications (ENOBUFS), a send
 * is an ordinary one, which the kernel copies.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

#define ZCOPY_MAX	(4 * 1024 * 1024)	/* bytes held at most */
#define ZCOPY_SLOTS	256			/* sends in flight at most */
#define ZCOPY_LINGER_MS	2000	/* at close: wait this long for the rest */
#define ZCOPY_POLL_MS	10

struct zchunk {
	void		*data;
	size_t		 len;
	bool		 done;
};

struct sc_zcopy {
	struct zchunk	 ring[ZCOPY_SLOTS];
	size_t		 head;		/* oldest send in flight */
	size_t		 n;		/* sends in flight */
	uint32_t	 head_id;	/* the kernel's number of ring[head] */
	size_t		 held;		/* bytes held */
	bool		 copied;	/* the kernel copied some */
	bool		 copied_told;
};

/* Chunks the kernel may still read, after their socket is closed. */
static struct zorphan {
	struct zorphan	*next;
	void		*data;
} *zcopy_orphans;

struct sc_zcopy *
zcopy_new(void)
{
	return calloc(1, sizeof(struct sc_zcopy));
}

/*
 * Send len bytes of buf on fd with flags and MSG_ZEROCOPY, from a copy
 * that is kept until the kernel is done with it; as send(2).
 */
ssize_t
zcopy_send(struct sc_zcopy *z, int fd, const void *buf, size_t len,
    int flags)
{
	struct zchunk	*c;
	ssize_t		 n;

	if (len == 0 || z->n == ZCOPY_SLOTS || z->held + len > ZCOPY_MAX)
		return sys_send(fd, buf, len, flags);
	c = &z->ring[(z->head + z->n) % ZCOPY_SLOTS];
	if ((c->data = malloc(len)) == NULL)
		return sys_send(fd, buf, len, flags);
	memcpy(c->data, buf, len);
	n = sys_send(fd, c->data, len, flags | MSG_ZEROCOPY);
	if (n <= 0) {
		/* not sent: the kernel did not number it */
		free(c->data);
		c->data = NULL;
		if (n == -1 && errno == ENOBUFS)
			return sys_send(fd, buf, len, flags);
		return n;
	}
	c->len = len;
	c->done = false;
	z->n++;
	z->held += len;
	return n;
}

/* The kernel is done with sends [lo, hi]: free their chunks in order. */
static void
zcopy_complete(struct sc_zcopy *z, uint32_t lo, uint32_t hi)
{
	struct zchunk	*c;
	size_t		 i;
	uint32_t	 id;

	for (i = 0; i < z->n; i++) {
		id = z->head_id + (uint32_t)i;
		if (id - lo <= hi - lo)
			z->ring[(z->head + i) % ZCOPY_SLOTS].done = true;
	}
	while (z->n > 0 && (c = &z->ring[z->head])->done) {
		free(c->data);
		c->data = NULL;
		z->held -= c->len;
		z->head = (z->head + 1) % ZCOPY_SLOTS;
		z->head_id++;
		z->n--;
	}
}

/*
 * Read the notifications queued on fd. Returns 1 the first time the
 * kernel says it copied the data after all (loopback does), else 0.
 */
int
zcopy_reap(struct sc_zcopy *z, int fd)
{
	uint32_t	 lo, hi;
	bool		 copied;
	int		 rv;

	while (z->n > 0 && (rv = osdep_zerocopy_done(fd, &lo, &hi,
	    &copied)) != -1) {
		if (rv == 0)
			continue;
		zcopy_complete(z, lo, hi);
		z->copied |= copied;
	}
	if (z->copied && !z->copied_told) {
		z->copied_told = true;
		return 1;
	}
	return 0;
}

size_t
zcopy_held(const struct sc_zcopy *z)
{
	return z->held;
}

static void
zcopy_orphans_free(void)
{
	struct zorphan	*o;

	while ((o = zcopy_orphans) != NULL) {
		zcopy_orphans = o->next;
		free(o->data);
		free(o);
	}
}

/*
 * Before fd is closed: wait a little for what is still in flight; the
 * kernel may read what is left after the close, so that is kept until
 * sockcat exits.
 */
void
zcopy_free(struct sc_zcopy *z, int fd)
{
	static bool	 registered;
	struct zorphan	*o;
	int		 waited;

	if (z == NULL)
		return;
	for (waited = 0; ; waited += ZCOPY_POLL_MS) {
		(void)zcopy_reap(z, fd);
		if (z->n == 0 || waited >= ZCOPY_LINGER_MS)
			break;
		(void)poll(NULL, 0, ZCOPY_POLL_MS);	/* a short sleep */
	}
	for (; z->n > 0; z->n--) {
		if ((o = malloc(sizeof(*o))) == NULL)
			break;		/* left to the kernel: never freed */
		o->data = z->ring[z->head].data;
		o->next = zcopy_orphans;
		zcopy_orphans = o;
		z->head = (z->head + 1) % ZCOPY_SLOTS;
	}
	if (zcopy_orphans != NULL && !registered)
		registered = atexit(zcopy_orphans_free) == 0;
	free(z);
}
