/*
 * Socket options from the command line, as data: each becomes an entry
 * (level, name, value, when to set it, on which sockets), applied by
 * sockopt_apply() at the right point of a socket's life, and read back
 * for -vv. The short options of OpenBSD nc (-I -O -T -M -m -D), the long
 * ones (--nodelay, --keepalive, ...) and --sockopt LEVEL:NAME=VALUE all
 * end up here.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockcat.h"

/* The DSCP and old TOS keywords of -T, as OpenBSD nc knows them. */
static const struct {
	const char	*name;
	int		 value;
} tos_names[] = {
	{ "lowdelay", 0x10 }, { "throughput", 0x08 },
	{ "reliability", 0x04 }, { "mincost", 0x02 },
	{ "critical", 0xa0 }, { "inetcontrol", 0xc0 },
	{ "netcontrol", 0xe0 },
	{ "af11", 0x28 }, { "af12", 0x30 }, { "af13", 0x38 },
	{ "af21", 0x48 }, { "af22", 0x50 }, { "af23", 0x58 },
	{ "af31", 0x68 }, { "af32", 0x70 }, { "af33", 0x78 },
	{ "af41", 0x88 }, { "af42", 0x90 }, { "af43", 0x98 },
	{ "cs0", 0x00 }, { "cs1", 0x20 }, { "cs2", 0x40 }, { "cs3", 0x60 },
	{ "cs4", 0x80 }, { "cs5", 0xa0 }, { "cs6", 0xc0 }, { "cs7", 0xe0 },
	{ "ef", 0xb8 }, { "va", 0xb0 },
};

/*
 * An integer from min to max: decimal with an optional leading minus, or
 * 0x and hexadecimal digits, then an optional K, M or G (powers of 1024).
 * Nothing else: no blanks, no plus sign. Returns 0, or -1 with *errstr
 * "not a number", "too small" or "too large".
 */
int
sockopt_int(const char *s, long long min, long long max, long long *v,
    const char **errstr)
{
	char		 num[32], *p;
	size_t		 n = strlen(s);
	long long	 mult = 1;
	int		 base = 10;

	*errstr = "not a number";
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (toupper((unsigned char)num[n - 1])) {
	case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	}
	if (mult != 1)
		num[n - 1] = '\0';
	p = num;
	if (strncasecmp(p, "0x", 2) == 0) {
		p += 2;
		base = 16;
	} else if (*p == '-')
		p++;
	if (*p == '\0' || strspn(p, base == 16 ? "0123456789abcdefABCDEF" :
	    "0123456789") != strlen(p))
		return -1;
	errno = 0;
	*v = strtoll(num + (base == 16 ? 2 : 0), NULL, base);
	if (errno == ERANGE) {
		*errstr = *v > 0 ? "too large" : "too small";
		return -1;
	}
	/* Bounds before the multiplication, which cannot overflow then. */
	if (*v > max / mult) {
		*errstr = "too large";
		return -1;
	}
	if (*v < min / mult || (*v *= mult) < min) {	/* 0K below 1 */
		*errstr = "too small";
		return -1;
	}
	*errstr = NULL;
	return 0;
}

/* on/off, yes/no, true/false, 1/0 */
static int
sockopt_bool(const char *s, int *v)
{
	static const char	*on[] = { "1", "on", "yes", "true" };
	static const char	*off[] = { "0", "off", "no", "false" };
	size_t			 i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, on[i]) == 0) {
			*v = 1;
			return 0;
		}
		if (strcasecmp(s, off[i]) == 0) {
			*v = 0;
			return 0;
		}
	}
	return -1;
}

/* -T: a number (0-255) or a keyword. */
int
sockopt_tos(const char *s, int *v, const char **errstr)
{
	long long	 n;
	size_t		 i;

	for (i = 0; i < sizeof(tos_names) / sizeof(tos_names[0]); i++) {
		if (strcasecmp(s, tos_names[i].name) == 0) {
			*v = tos_names[i].value;
			return 0;
		}
	}
	if (sockopt_int(s, 0, 255, &n, errstr) == -1) {
		*errstr = "not 0-255 nor a keyword (lowdelay, throughput, "
		    "reliability, critical, inetcontrol, netcontrol, "
		    "af11-af43, cs0-cs7, ef)";
		return -1;
	}
	*v = (int)n;
	return 0;
}

/* Append an option to the list of o. */
int
sockopt_add(struct sc_opts *o, const struct sc_sockopt *so)
{
	struct sc_sockopt	*n;

	n = reallocarray(o->sockopts, o->nsockopts + 1, sizeof(*n));
	if (n == NULL)
		return -1;
	o->sockopts = n;
	o->sockopts[o->nsockopts++] = *so;
	return 0;
}

/*
 * When and on which sockets an option is set, as the table says (after
 * socket(), on every socket, when the table does not know it).
 */
void
sockopt_rules(struct sc_sockopt *so)
{
	const struct sc_optname	*on = names_option(so->level, so->name);

	so->phase = on != NULL ? on->phase : SC_PHASE_SOCKET;
	so->role = on != NULL ? on->role : SC_ROLE_ANY;
	so->no_inherit = on != NULL && on->no_inherit;
}

/* VALUE of --sockopt as the option on (or NULL: unknown) wants it. */
static int
sockopt_value(const char *value, const struct sc_optname *on,
    struct sc_sockopt *so, char *err, size_t errlen)
{
	const char	*errstr;
	long long	 v, min = INT_MIN, max = INT_MAX;

	switch (so->type) {
	case SC_OPT_BOOL:
		if (sockopt_bool(value, &so->ival) == -1) {
			(void)snprintf(err, errlen, "%s wants on or off, not "
			    "\"%s\"", on->name, value);
			return -1;
		}
		return 0;
	case SC_OPT_STRING:
		return (so->sval = strdup(value)) == NULL ? -1 : 0;
	default:
		break;
	}
	if (on != NULL && on->type == SC_OPT_INT) {
		min = on->min;
		max = on->max;
	} else if (on != NULL)		/* SO_LINGER: seconds */
		min = 0;
	if (sockopt_int(value, min, max, &v, &errstr) == 0) {
		so->ival = (int)(unsigned int)v;
		return 0;
	}
	if (on == NULL && strcmp(errstr, "not a number") != 0) {
		(void)snprintf(err, errlen, "option %d wants an int (%lld to "
		    "%lld), not \"%s\"", so->name, min, max, value);
		return -1;
	}
	if (on == NULL) {	/* by number: not an integer, a string */
		so->type = SC_OPT_STRING;
		return (so->sval = strdup(value)) == NULL ? -1 : 0;
	}
	if (strcmp(errstr, "not a number") != 0)
		(void)snprintf(err, errlen, "%s wants %lld to %lld, not "
		    "\"%s\"", on->name, min, max, value);
	else
		(void)snprintf(err, errlen, "%s wants an integer, not \"%s\"",
		    on->name, value);
	return -1;
}

/*
 * --sockopt LEVEL:NAME=VALUE. LEVEL and NAME by name (SOL_SOCKET,
 * SO_RCVBUF) or number; VALUE as the option's type wants: an integer
 * (with K/M/G), a boolean, a string; with a numeric NAME, an integer if
 * it reads as one, else a string.
 */
int
sockopt_parse(const char *arg, struct sc_sockopt *so, char *err,
    size_t errlen)
{
	char			 buf[256], *name, *value;
	const struct sc_optname	*on = NULL;
	const char		*errstr;
	long long		 v;

	memset(so, 0, sizeof(*so));
	if (strlen(arg) >= sizeof(buf) || (name = strchr(strcpy(buf, arg),
	    ':')) == NULL || (value = strchr(name, '=')) == NULL) {
		(void)snprintf(err, errlen, "want LEVEL:NAME=VALUE");
		return -1;
	}
	*name++ = '\0';
	*value++ = '\0';
	if ((so->level = names_level_value(buf)) == -1 &&
	    sockopt_int(buf, 0, INT_MAX, &v, &errstr) == 0)
		so->level = (int)v;
	if (so->level == -1) {
		(void)snprintf(err, errlen, "unknown level \"%s\" (SOL_SOCKET, "
		    "IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP or a "
		    "number)", buf);
		return -1;
	}
	if ((on = names_option_by_name(so->level, name)) != NULL)
		so->name = on->optname;
	else if (sockopt_int(name, 0, INT_MAX, &v, &errstr) == 0)
		so->name = (int)v;
	else {
		(void)snprintf(err, errlen, "unknown option \"%s\" at level "
		    "\"%s\"", name, buf);
		return -1;
	}
	if (on == NULL && (on = names_option(so->level, so->name)) != NULL &&
	    on->type == SC_OPT_STRUCT)
		on = NULL;	/* by number: take the value as it reads */
	so->type = on != NULL ? on->type : SC_OPT_INT;
	if (on != NULL && (on->type == SC_OPT_STRUCT ||
	    on->type == SC_OPT_ERRNO || on->type == SC_OPT_RDONLY)) {
		(void)snprintf(err, errlen, "%s cannot be set from the command "
		    "line", on->name);
		return -1;
	}
	if (on != NULL && on->type == SC_OPT_LINGER)
		so->type = SC_OPT_LINGER;
	if (sockopt_value(value, on, so, err, errlen) == -1)
		return -1;
	sockopt_rules(so);
	so->only = so->level == IPPROTO_TCP ? SC_ON_TCP :
	    so->level == SOL_SOCKET ? SC_ON_ANY : SC_ON_IP;
	so->raw = true;
	(void)snprintf(so->label, sizeof(so->label), "%s", arg);
	return 0;
}

/* The level and name an entry has on a socket of this family. */
static void
sockopt_resolve(const struct sc_sockopt *so, int family, int *level,
    int *name)
{
	bool	 v6 = family == AF_INET6;

	*level = so->level;
	*name = so->name;
	switch (so->kind) {
	case SC_SO_TOS:
		*level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		*name = v6 ? IPV6_TCLASS : IP_TOS;
		break;
	case SC_SO_TTL:
		*level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		*name = v6 ? IPV6_UNICAST_HOPS : IP_TTL;
		break;
	case SC_SO_MINTTL:
#ifdef IPV6_MINHOPCOUNT
		*level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		*name = v6 ? IPV6_MINHOPCOUNT : IP_MINTTL;
#endif
		break;
	case SC_SO_FREEBIND:
#ifdef IPV6_FREEBIND
		*level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		*name = v6 ? IPV6_FREEBIND : IP_FREEBIND;
#endif
		break;
	case SC_SO_TRANSPARENT:
#ifdef IPV6_TRANSPARENT
		*level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		*name = v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT;
#endif
		break;
	default:
		break;
	}
}

/* Does this entry belong on this socket now? */
static bool
sockopt_applies(const struct sc_sockopt *so, int family, int protocol,
    enum sc_phase phase, enum sc_role role)
{
	if (so->phase != phase)
		return false;
	if (role == SC_ROLE_ACCEPTED && so->no_inherit)
		return false;
	if (so->role != SC_ROLE_ANY && so->role != role)
		return false;
	switch (so->only) {
	case SC_ON_IP:
		return family == AF_INET || family == AF_INET6;
	case SC_ON_V6:
		return family == AF_INET6;
	case SC_ON_TCP:
		return protocol == IPPROTO_TCP;
	default:
		return true;
	}
}

/* -vv: what the kernel holds now (SO_RCVBUF reads back doubled). */
static void
sockopt_readback(int fd, const char *label, int type, int level, int name)
{
	const struct sc_optname	*on;
	char		 lb[32], nb[32], val[128];
	socklen_t	 len = sizeof(val) - 1;
	int		 v;

	if (log_level() < 2)
		return;
	memset(val, 0, sizeof(val));
	if (sys_getsockopt(fd, level, name, val, &len) == -1) {
		log_verbose(2, "Option %s: set; %s", label, strerror(errno));
		return;
	}
	if (type == SC_OPT_STRING)
		log_verbose(2, "Option %s %s: the kernel has \"%s\"",
		    names_level(level, lb, sizeof(lb)),
		    names_optname(level, name, nb, sizeof(nb)), val);
	else if (type == SC_OPT_LINGER)
		log_verbose(2, "Option %s %s: the kernel has %s, %d s",
		    names_level(level, lb, sizeof(lb)),
		    names_optname(level, name, nb, sizeof(nb)),
		    ((struct linger *)(void *)val)->l_onoff ? "on" : "off",
		    ((struct linger *)(void *)val)->l_linger);
	else {
		memcpy(&v, val, sizeof(v));
		on = names_option(level, name);
		if (on != NULL && on->min >= 0)	/* SO_MARK is a u32 */
			(void)snprintf(val, sizeof(val), "%u", (unsigned)v);
		else
			(void)snprintf(val, sizeof(val), "%d", v);
		log_verbose(2, "Option %s %s: the kernel has %s",
		    names_level(level, lb, sizeof(lb)),
		    names_optname(level, name, nb, sizeof(nb)), val);
	}
}

/*
 * Set every option of o that belongs on fd (of family and protocol) at
 * this phase of its life, in the role it plays. A refusal is an error
 * naming the option: -1 with *err.
 */
int
sockopt_apply(int fd, int family, int protocol, enum sc_phase phase,
    enum sc_role role, const struct sc_opts *o, struct sc_error *err)
{
	const struct sc_sockopt	*so;
	struct linger		 lg;
	const void		*val;
	socklen_t		 len;
	size_t			 i;
	int			 level, name;

	/* the named options first, then --sockopt: it has the last word */
	for (i = 0; i < 2 * o->nsockopts; i++) {
		so = &o->sockopts[i % o->nsockopts];
		if (so->raw != (i >= o->nsockopts) ||
		    !sockopt_applies(so, family, protocol, phase, role))
			continue;
		sockopt_resolve(so, family, &level, &name);
		if (so->type == SC_OPT_STRING) {
			val = so->sval;
			len = (socklen_t)strlen(so->sval);
		} else if (so->type == SC_OPT_LINGER) {
			lg.l_onoff = 1;
			lg.l_linger = so->ival;
			val = &lg;
			len = sizeof(lg);
		} else {
			val = &so->ival;
			len = sizeof(so->ival);
		}
		if (sys_setsockopt(fd, level, name, val, len) == -1) {
			error_set(err, SC_EXIT_FAIL, errno, "setsockopt %s",
			    so->label);
			return -1;
		}
		sockopt_readback(fd, so->label, so->type, level, name);
	}
	return 0;
}

void
sockopt_free(struct sc_opts *o)
{
	size_t	 i;

	for (i = 0; i < o->nsockopts; i++)
		free(o->sockopts[i].sval);
	free(o->sockopts);
	o->sockopts = NULL;
	o->nsockopts = 0;
}

/*
 * An integer option sockcat sets on its own, for the option why: a
 * refusal is an error naming both; -vv reads it back.
 */
int
sockopt_set_own(int fd, int level, int name, int value, const char *why,
    struct sc_error *err)
{
	char	 nb[32], label[64];

	(void)snprintf(label, sizeof(label), "%s %d",
	    names_optname(level, name, nb, sizeof(nb)), value);
	if (sock_setint(fd, level, name, value) == -1) {
		error_set(err, SC_EXIT_FAIL, errno, "setsockopt %s for %s",
		    label, why);
		return -1;
	}
	sockopt_readback(fd, label, SC_OPT_INT, level, name);
	return 0;
}

/* -vv: an integer option as the kernel holds it. */
void
sockopt_show(int fd, int level, int name)
{
	char	 nb[32];

	sockopt_readback(fd, names_optname(level, name, nb, sizeof(nb)),
	    SC_OPT_INT, level, name);
}

/* An integer option as the kernel holds it: 0, or -1 with errno. */
int
sockopt_get_int(int fd, int level, int name, int *v)
{
	socklen_t	 len = sizeof(*v);

	return sys_getsockopt(fd, level, name, v, &len);
}

/*
 * -vv, once per socket: the flags of the command line, and those sockcat
 * adds to every data call of its own.
 */
void
sockopt_show_flags(const struct sc_opts *o)
{
	char	 a[160], b[160];
	int	 sadd = MSG_DONTWAIT, radd = MSG_DONTWAIT;

#ifdef MSG_NOSIGNAL
	sadd |= MSG_NOSIGNAL;
#endif
	if (o->proto->message)
		radd |= MSG_TRUNC;
	if (o->waitall)
		radd |= MSG_WAITALL;
	if (o->send_flags != 0)
		log_verbose(2, "Send flags: %s (with %s)",
		    names_msgflags(o->send_flags, a, sizeof(a)),
		    names_msgflags(sadd, b, sizeof(b)));
	if (o->recv_flags != 0 || o->waitall)
		log_verbose(2, "Receive flags: %s (with %s)",
		    o->recv_flags == 0 ? "none" :
		    names_msgflags(o->recv_flags, a, sizeof(a)),
		    names_msgflags(radd, b, sizeof(b)));
}
