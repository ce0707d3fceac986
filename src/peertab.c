/*
 * A table of peers by address: the peers an unconnected message socket
 * has heard from (dgram.c), and the senders a datagram server serves one
 * connection each (demux.c). Each entry begins with a struct sc_peer.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "sockcat.h"

#define PEER_BUCKET(sa, len)	(addr_hash((sa), (len)) % SC_PEER_BUCKETS)

/* The peer at sa in t, or NULL. */
struct sc_peer *
peertab_find(const struct sc_peertab *t, const struct sockaddr *sa,
    socklen_t len)
{
	struct sc_peer	*p;

	for (p = t->buckets[PEER_BUCKET(sa, len)]; p != NULL; p = p->next) {
		if (addr_equal((struct sockaddr *)&p->ss, p->len, sa, len))
			return p;
	}
	return NULL;
}

/* Put p in t as the peer at sa. */
void
peertab_add(struct sc_peertab *t, struct sc_peer *p, const struct sockaddr *sa,
    socklen_t len)
{
	uint32_t	 h = PEER_BUCKET(sa, len);

	memcpy(&p->ss, sa, len);
	p->len = len;
	p->next = t->buckets[h];
	t->buckets[h] = p;
}

void
peertab_remove(struct sc_peertab *t, struct sc_peer *dead)
{
	struct sc_peer	**pp;

	pp = &t->buckets[PEER_BUCKET((struct sockaddr *)&dead->ss, dead->len)];
	for (; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == dead) {
			*pp = dead->next;
			return;
		}
	}
}
