/*
 * The transports, as data: what socket() needs and whether messages keep
 * their boundaries. Modes and the relay read these; nothing else varies
 * by transport for streams.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include "sockcat.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP	132	/* socket() then says the kernel lacks it */
#endif

const struct sc_proto sc_proto_tcp = {
	.name = "tcp",
	.family = AF_UNSPEC,
	.socktype = SOCK_STREAM,
	.protocol = IPPROTO_TCP,
	.accepts = true,
};

const struct sc_proto sc_proto_udp = {
	.name = "udp",
	.family = AF_UNSPEC,
	.socktype = SOCK_DGRAM,
	.protocol = IPPROTO_UDP,
	.message = true,
};

/* SCTP in the one-to-one style: a stream, like TCP. */
const struct sc_proto sc_proto_sctp = {
	.name = "sctp",
	.family = AF_UNSPEC,
	.socktype = SOCK_STREAM,
	.protocol = IPPROTO_SCTP,
	.accepts = true,
};

/* SCTP SEQPACKET: messages; a server serves every association at once. */
const struct sc_proto sc_proto_sctp_seqpacket = {
	.name = "sctp",
	.family = AF_UNSPEC,
	.socktype = SOCK_SEQPACKET,
	.protocol = IPPROTO_SCTP,
	.message = true,
	.listens = true,
};

const struct sc_proto sc_proto_unix = {
	.name = "unix",
	.family = AF_UNIX,
	.socktype = SOCK_STREAM,
	.accepts = true,
};

const struct sc_proto sc_proto_unix_dgram = {
	.name = "unix-dgram",
	.family = AF_UNIX,
	.socktype = SOCK_DGRAM,
	.message = true,
};

const struct sc_proto sc_proto_unix_seqpacket = {
	.name = "unix-seqpacket",
	.family = AF_UNIX,
	.socktype = SOCK_SEQPACKET,
	.message = true,
	.accepts = true,
	.eof = true,
};
