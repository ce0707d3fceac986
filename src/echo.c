/*
 * The echo handler: every byte a client sends goes back to it, or for a
 * message socket every message back to its sender. The relay runs from
 * the client to itself, so flow control is the relay's own: a client that
 * does not read fills the one buffer, and then is no longer read either.
 * A client's end of file is passed back once everything is echoed.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include "sockcat.h"

static int
echo_start(struct sc_conn *c, struct sc_error *err)
{
	(void)err;
	c->side = NULL;		/* the client talks to itself */
	return 0;
}

static void
echo_relay_cfg(const struct sc_conn *c, struct sc_relay_cfg *cfg)
{
	(void)c;
	cfg->read_src[SC_DIR_AB] = true;	/* client to client */
	cfg->eof_at_start[SC_DIR_AB] = false;
	cfg->shut_dst[SC_DIR_AB] = true;
	cfg->discard[SC_DIR_AB] = false;
	cfg->quit_after_eof_ms[SC_DIR_AB] = SC_NO_TIMEOUT;
	cfg->idle_after_eof_ms[SC_DIR_AB] = SC_NO_TIMEOUT;
	cfg->read_src[SC_DIR_BA] = false;	/* the same, other way */
	cfg->end_on_eof[SC_DIR_BA] = false;
}

const struct sc_handler sc_handler_echo = {
	.name = "echo",
	.start = echo_start,
	.relay_cfg = echo_relay_cfg,
};
