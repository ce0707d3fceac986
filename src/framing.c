/*
 * Framing: how messages are written as bytes on stdout, and how the bytes
 * of stdin are cut into messages. Pure functions over buffers; no socket
 * knowledge.
 *
 *	raw	one message per read of stdin; messages written as they are
 *	line	one message per line, without its newline; each message
 *		written followed by a newline
 *	nul	the same with NUL bytes
 *	len32	each message preceded by its length, 4 bytes big-endian
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

static const struct {
	const char		*name;
	enum sc_framing		 framing;
} framings[] = {
	{ "raw",	SC_FRAMING_RAW },
	{ "line",	SC_FRAMING_LINE },
	{ "nul",	SC_FRAMING_NUL },
	{ "len32",	SC_FRAMING_LEN32 },
};

int
framing_parse(const char *name, enum sc_framing *f)
{
	size_t	 i;

	for (i = 0; i < sizeof(framings) / sizeof(framings[0]); i++) {
		if (strcmp(name, framings[i].name) == 0) {
			*f = framings[i].framing;
			return 0;
		}
	}
	return -1;
}

const char *
framing_name(enum sc_framing f)
{
	size_t	 i;

	for (i = 0; i < sizeof(framings) / sizeof(framings[0]); i++) {
		if (framings[i].framing == f)
			return framings[i].name;
	}
	return "?";
}

/* Bytes the framing adds to a message on output. */
size_t
framing_overhead(enum sc_framing f)
{
	switch (f) {
	case SC_FRAMING_LINE:
	case SC_FRAMING_NUL:
		return 1;
	case SC_FRAMING_LEN32:
		return 4;
	default:
		return 0;
	}
}

/* The bytes before a message of len bytes; returns how many (0 or 4). */
size_t
framing_prefix(enum sc_framing f, size_t len, unsigned char *out)
{
	if (f != SC_FRAMING_LEN32)
		return 0;
	out[0] = (unsigned char)(len >> 24);
	out[1] = (unsigned char)(len >> 16);
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
	return 4;
}

/* The bytes after a message; returns how many (0 or 1). */
size_t
framing_suffix(enum sc_framing f, unsigned char *out)
{
	if (f == SC_FRAMING_LINE) {
		*out = '\n';
		return 1;
	}
	if (f == SC_FRAMING_NUL) {
		*out = '\0';
		return 1;
	}
	return 0;
}

int
deframer_init(struct sc_deframer *d, enum sc_framing f, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->framing = f;
	d->max = max;
	if ((d->buf = malloc(max + 4)) == NULL)
		return -1;
	return 0;
}

void
deframer_free(struct sc_deframer *d)
{
	free(d->buf);
	memset(d, 0, sizeof(*d));
}

/* After the caller has used the message deframer_feed() completed. */
void
deframer_next(struct sc_deframer *d)
{
	d->len = 0;
	d->hdr = 0;
	d->complete = false;
	d->skip = false;
}

/*
 * After deframer_feed() found a message too long: pass over the rest of
 * it, so that the next message is read whole.
 */
void
deframer_skip(struct sc_deframer *d)
{
	d->len = 0;
	d->complete = false;
	d->skip = true;
}

/* A delimited message: copy up to the delimiter. */
static int
deframe_delim(struct sc_deframer *d, const unsigned char *in, size_t len,
    size_t *used, const char **errstr)
{
	unsigned char	 delim = d->framing == SC_FRAMING_LINE ? '\n' : '\0';
	const unsigned char *end = memchr(in, delim, len);
	size_t		 n = end != NULL ? (size_t)(end - in) : len;

	if (d->skip) {
		/* the rest of a message that was too long */
		*used = end != NULL ? n + 1 : n;
		d->skip = end == NULL;
		return 0;
	}
	if (d->len + n > d->max) {
		d->over = 0;	/* longer than max; its length is unknown */
		*errstr = d->framing == SC_FRAMING_LINE ?
		    "line longer than the largest message" :
		    "NUL-terminated record longer than the largest message";
		return -1;
	}
	memcpy(d->buf + d->len, in, n);
	d->len += n;
	*used = n;
	if (end == NULL)
		return 0;
	*used = n + 1;
	d->complete = true;
	return 1;
}

/* A length-prefixed message: four bytes of length, then the payload. */
static int
deframe_len32(struct sc_deframer *d, const unsigned char *in, size_t len,
    size_t *used, const char **errstr)
{
	size_t	 n;

	*used = 0;
	if (d->skip) {
		/* the payload of a frame that was too long */
		n = d->want - d->len < len ? d->want - d->len : len;
		d->len += n;
		*used = n;
		if (d->len == d->want)
			deframer_next(d);
		return 0;
	}
	if (d->hdr < 4) {
		n = 4 - d->hdr < len ? 4 - d->hdr : len;
		memcpy(d->head + d->hdr, in, n);
		d->hdr += n;
		*used = n;
		if (d->hdr < 4)
			return 0;
		d->want = (size_t)d->head[0] << 24 | (size_t)d->head[1] << 16 |
		    (size_t)d->head[2] << 8 | d->head[3];
		if (d->want > d->max) {
			d->over = d->want;
			*errstr = "len32 frame longer than the largest message";
			return -1;
		}
		in += n;
		len -= n;
	}
	n = d->want - d->len < len ? d->want - d->len : len;
	memcpy(d->buf + d->len, in, n);
	d->len += n;
	*used += n;
	if (d->len < d->want)
		return 0;
	d->hdr = 0;
	d->complete = true;
	return 1;
}

/*
 * Feed stdin bytes. Returns 1 when a whole message is ready in d->buf and
 * d->len (*used bytes were taken; call deframer_next() once it is sent),
 * 0 when more is needed (*used bytes were taken), -1 on a message that is
 * too long (*errstr says which; d->over is its length, or 0 when it is
 * only known to be longer than d->max).
 */
int
deframer_feed(struct sc_deframer *d, const unsigned char *in, size_t len,
    size_t *used, const char **errstr)
{
	*used = 0;
	if (d->complete)
		return 1;
	if (d->framing == SC_FRAMING_LEN32)
		return deframe_len32(d, in, len, used, errstr);
	return deframe_delim(d, in, len, used, errstr);
}

/*
 * At stdin's EOF: a last line or record without its terminator is a
 * message (1); a partial len32 frame is an error (-1); nothing left is 0.
 */
int
deframer_finish(struct sc_deframer *d, const char **errstr)
{
	if (d->complete)
		return 1;
	if (d->skip) {
		deframer_next(d);	/* its error was reported */
		return 0;
	}
	if (d->framing == SC_FRAMING_LEN32) {
		if (d->hdr == 0 && d->len == 0)
			return 0;
		*errstr = "stdin ended inside a len32 frame";
		return -1;
	}
	if (d->len == 0)
		return 0;
	d->complete = true;
	return 1;
}
