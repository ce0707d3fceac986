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

const struct sc_proto sc_proto_tcp = {
	.name = "tcp",
	.family = AF_UNSPEC,
	.socktype = SOCK_STREAM,
	.protocol = IPPROTO_TCP,
	.message = false,
};

const struct sc_proto sc_proto_unix = {
	.name = "unix",
	.family = AF_UNIX,
	.socktype = SOCK_STREAM,
	.protocol = 0,
	.message = false,
};
