/*
 * Taps: what passes over the sockets, seen without changing it. Socket
 * endpoints report every chunk they send or receive (a message, for
 * message sockets) with its peer; the taps write the hex dump
 * (--hex-dump), the session logs (-o, --output-received, --output-sent),
 * count for --stats and --progress.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockcat.h"

/* How often --progress redraws its line. */
#define PROGRESS_MS	250

/* A session log: its descriptor, and the option and file for errors. */
struct tap_log {
	int		 fd;		/* -1: none */
	const char	*opt;
	const char	*file;
};

struct sc_taps {
	struct sc_loop	*loop;
	FILE		*hex;		/* --hex-dump */
	struct tap_log	 out_both;	/* -o */
	struct tap_log	 out_recv;	/* --output-received */
	struct tap_log	 out_sent;	/* --output-sent */
	bool		 stats;
	bool		 progress;
	uint64_t	 bytes[2];	/* SC_TAP_SENT, SC_TAP_RECEIVED */
	uint64_t	 msgs[2];
	uint64_t	 conns;
	int64_t		 t0_ms;
	int64_t		 total;		/* stdin's size, or -1 */
	struct sc_timer	 redraw;
	bool		 drawn;
	bool		 failed;
};

/* Open the file of option opt; an error names both. */
static int
tap_open(const char *opt, const char *file, bool append, int *fd,
    struct sc_error *err)
{
	*fd = -1;
	if (file == NULL)
		return 0;
	*fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (append ? O_APPEND : O_TRUNC), 0644);
	if (*fd == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "%s %s", opt, file);
		return -1;
	}
	return 0;
}

static void	taps_redraw(struct sc_loop *, struct sc_timer *, void *);

/* Open what the options ask for; NULL with *err when a file fails. */
struct sc_taps *
taps_new(struct sc_loop *loop, const struct sc_opts *o, struct sc_error *err)
{
	struct sc_taps	*t;
	struct stat	 st;
	int		 fd;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "taps");
		return NULL;
	}
	t->loop = loop;
	t->out_both = (struct tap_log){ -1, "-o", o->output };
	t->out_recv = (struct tap_log){ -1, "--output-received",
	    o->output_recv };
	t->out_sent = (struct tap_log){ -1, "--output-sent", o->output_sent };
	t->stats = o->stats;
	t->t0_ms = loop_now_ms(loop);
	t->total = -1;
	if (o->hex_dump) {
		if (o->hex_file == NULL)
			t->hex = stderr;
		else if (tap_open("--hex-dump", o->hex_file,
		    o->append_output, &fd, err) == -1 ||
		    (t->hex = fdopen(fd, "a")) == NULL)
			goto fail;
	}
	if (tap_open(t->out_both.opt, t->out_both.file, o->append_output,
	    &t->out_both.fd, err) == -1 ||
	    tap_open(t->out_recv.opt, t->out_recv.file, o->append_output,
	    &t->out_recv.fd, err) == -1 ||
	    tap_open(t->out_sent.opt, t->out_sent.file, o->append_output,
	    &t->out_sent.fd, err) == -1)
		goto fail;
	t->progress = o->progress == SC_PROGRESS_ALWAYS ||
	    (o->progress == SC_PROGRESS_AUTO && isatty(STDERR_FILENO));
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		t->total = (int64_t)st.st_size;
	if (t->progress)
		loop_timer_start(loop, &t->redraw, PROGRESS_MS, taps_redraw, t);
	return t;
fail:
	taps_free(t);
	return NULL;
}

/*
 * Write all of buf to a session log. A failure is said once, naming the
 * option and the file as an open error does; the logs stop, the session
 * goes on.
 */
static void
tap_write(struct sc_taps *t, const struct tap_log *l, const void *buf,
    size_t len)
{
	const char	*p = buf;
	ssize_t		 n;
	struct sc_error	 e;

	while (l->fd != -1 && len > 0 && !t->failed) {
		if ((n = write(l->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			t->failed = true;
			error_set(&e, SC_EXIT_FAIL, errno, "%s %s", l->opt,
			    l->file);
			log_warn_error(&e);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The canonical hex dump of buf: offset, 16 bytes in hex, the ASCII. */
void
hexdump_write(FILE *fp, const unsigned char *buf, size_t len,
    uint64_t offset)
{
	size_t	 i, j;

	for (i = 0; i < len; i += 16) {
		(void)fprintf(fp, "%08llx  ", (unsigned long long)(offset + i));
		for (j = 0; j < 16; j++) {
			if (i + j < len)
				(void)fprintf(fp, "%02x ", buf[i + j]);
			else
				(void)fputs("   ", fp);
			if (j == 7)
				(void)fputc(' ', fp);
		}
		(void)fputs(" |", fp);
		for (j = 0; j < 16 && i + j < len; j++) {
			unsigned char	 c = buf[i + j];

			(void)fputc(c >= 0x20 && c < 0x7f ? c : '.', fp);
		}
		(void)fputs("|\n", fp);
	}
}

/*
 * Do the taps need the bytes themselves (a dump, a log), or only their
 * counts (--stats, --progress), which splice(2) also gives?
 */
bool
taps_need_bytes(const struct sc_taps *t)
{
	return t != NULL && (t->hex != NULL || t->out_both.fd != -1 ||
	    t->out_recv.fd != -1 || t->out_sent.fd != -1);
}

/*
 * A chunk went over a socket: dir is SC_TAP_SENT or SC_TAP_RECEIVED, off
 * its offset in that direction of connection id, peer its peer when the
 * socket has more than one (a datagram), or NULL. buf is NULL for bytes
 * spliced (taps_need_bytes() false): they are only counted.
 */
void
taps_data(struct sc_taps *t, int dir, unsigned long id, uint64_t off,
    const void *buf, size_t len, const struct sockaddr *peer,
    socklen_t peerlen)
{
	char	 a[SC_ADDRSTRLEN];
	double	 at;

	if (t == NULL)
		return;
	t->bytes[dir] += len;
	t->msgs[dir]++;
	if (buf == NULL)
		return;
	if (t->hex != NULL) {
		at = (double)(loop_now_ms(t->loop) - t->t0_ms) / 1000.0;
		(void)fprintf(t->hex, "%c conn %lu offset %llu length %zu at "
		    "%.3fs", dir == SC_TAP_SENT ? '>' : '<', id,
		    (unsigned long long)off, len, at);
		if (peer != NULL && peerlen > sizeof(sa_family_t))
			(void)fprintf(t->hex, " %s %s", dir == SC_TAP_SENT ?
			    "to" : "from", trace_addr(peer, peerlen, a,
			    sizeof(a)));
		(void)fputc('\n', t->hex);
		hexdump_write(t->hex, buf, len, off);
		(void)fflush(t->hex);
	}
	tap_write(t, &t->out_both, buf, len);
	tap_write(t, dir == SC_TAP_SENT ? &t->out_sent : &t->out_recv, buf,
	    len);
}

void
taps_connection(struct sc_taps *t)
{
	if (t != NULL)
		t->conns++;
}

/* 1536 -> "1.5 KiB" */
static const char *
human(double v, char *buf, size_t size)
{
	static const char	*units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t			 u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	(void)snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
	return buf;
}

static void
taps_redraw(struct sc_loop *loop, struct sc_timer *tm, void *arg)
{
	struct sc_taps	*t = arg;
	char		 s[32], r[32], rate[32], pct[16];
	double		 secs = (double)(loop_now_ms(loop) - t->t0_ms) / 1000.0;
	int		 e = (int)secs;

	pct[0] = '\0';
	if (t->total > 0)
		(void)snprintf(pct, sizeof(pct), " %3.0f%%", 100.0 *
		    (double)t->bytes[SC_TAP_SENT] / (double)t->total);
	(void)fprintf(stderr, "\r%s sent, %s received, %s/s, %02d:%02d:%02d%s"
	    "\033[K", human((double)t->bytes[SC_TAP_SENT], s, sizeof(s)),
	    human((double)t->bytes[SC_TAP_RECEIVED], r, sizeof(r)),
	    human(secs > 0 ? (double)(t->bytes[0] + t->bytes[1]) / secs : 0,
	    rate, sizeof(rate)), e / 3600, e / 60 % 60, e % 60, pct);
	(void)fflush(stderr);
	t->drawn = true;
	loop_timer_start(loop, tm, PROGRESS_MS, taps_redraw, t);
}

/*
 * With --stats, the line for one connection of a server of many, as it
 * closes: bytes[] and msgs[] by SC_TAP_SENT and SC_TAP_RECEIVED, since
 * t0_ms.
 */
void
taps_conn_stats(const struct sc_taps *t, const char *who,
    const uint64_t bytes[2], const uint64_t msgs[2], int64_t t0_ms)
{
	double	 secs;

	if (t == NULL || !t->stats)
		return;
	secs = (double)(loop_now_ms(t->loop) - t0_ms) / 1000.0;
	(void)fprintf(stderr, "Connection stats on %s: sent %llu bytes in "
	    "%llu chunks, received %llu bytes in %llu chunks, %.3f s, "
	    "%.0f bytes/s sent, %.0f bytes/s received\n", who,
	    (unsigned long long)bytes[SC_TAP_SENT],
	    (unsigned long long)msgs[SC_TAP_SENT],
	    (unsigned long long)bytes[SC_TAP_RECEIVED],
	    (unsigned long long)msgs[SC_TAP_RECEIVED], secs,
	    secs > 0 ? (double)bytes[SC_TAP_SENT] / secs : 0,
	    secs > 0 ? (double)bytes[SC_TAP_RECEIVED] / secs : 0);
}

/* The --stats line for all of sockcat's run. */
static void
taps_stats(struct sc_taps *t)
{
	double	 secs = (double)(loop_now_ms(t->loop) - t->t0_ms) / 1000.0;

	(void)fprintf(stderr, "Stats: sent %llu bytes in %llu chunks, "
	    "received %llu bytes in %llu chunks, %llu connections, %.3f s, "
	    "%.0f bytes/s sent, %.0f bytes/s received\n",
	    (unsigned long long)t->bytes[SC_TAP_SENT],
	    (unsigned long long)t->msgs[SC_TAP_SENT],
	    (unsigned long long)t->bytes[SC_TAP_RECEIVED],
	    (unsigned long long)t->msgs[SC_TAP_RECEIVED],
	    (unsigned long long)t->conns, secs,
	    secs > 0 ? (double)t->bytes[SC_TAP_SENT] / secs : 0,
	    secs > 0 ? (double)t->bytes[SC_TAP_RECEIVED] / secs : 0);
}

/* At the end: the last progress line, the stats; close the files. */
void
taps_free(struct sc_taps *t)
{
	if (t == NULL)
		return;
	loop_timer_stop(t->loop, &t->redraw);
	if (t->progress && t->drawn) {
		taps_redraw(t->loop, &t->redraw, t);
		loop_timer_stop(t->loop, &t->redraw);
		(void)fputc('\n', stderr);
	}
	if (t->stats)
		taps_stats(t);
	if (t->hex != NULL && t->hex != stderr)
		(void)fclose(t->hex);
	if (t->out_both.fd != -1)
		(void)close(t->out_both.fd);
	if (t->out_recv.fd != -1)
		(void)close(t->out_recv.fd);
	if (t->out_sent.fd != -1)
		(void)close(t->out_sent.fd);
	free(t);
}
