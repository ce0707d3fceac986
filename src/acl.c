/*
 * Access control for servers: --allow and --deny rules (addresses, CIDR
 * ranges of IPv4 and IPv6, host names resolved once at start-up), from
 * the command line and from files. A client matching a deny rule is
 * refused; so is one matching no allow rule when there are any. An
 * IPv4-mapped IPv6 address is checked as the IPv4 address it maps.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

struct acl_rule {
	int		 family;	/* AF_INET, AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;		/* prefix length */
	bool		 deny;
};

struct sc_acl {
	struct acl_rule	*rules;
	size_t		 n, cap;
	bool		 any_allow;
	bool		 numeric;	/* -n: no name is looked up */
};

static int
acl_push(struct sc_acl *a, int family, const void *addr, int bits, bool deny)
{
	struct acl_rule	*r;

	if (a->n == a->cap) {
		size_t	 cap = a->cap ? a->cap * 2 : 16;

		if ((r = reallocarray(a->rules, cap, sizeof(*r))) == NULL)
			return -1;
		a->rules = r;
		a->cap = cap;
	}
	r = &a->rules[a->n++];
	memset(r, 0, sizeof(*r));
	r->family = family;
	memcpy(r->addr, addr, family == AF_INET ? 4 : 16);
	r->bits = bits;
	r->deny = deny;
	if (!deny)
		a->any_allow = true;
	return 0;
}

/* A host name: every address it has now, each as a full-length rule. */
static int
acl_add_host(struct sc_acl *a, const char *host, bool deny, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 gai, rv = 0;

	if (a->numeric) {
		(void)snprintf(err, errlen, "resolve \"%s\": not a numeric "
		    "address, and -n forbids name lookups", host);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "resolve \"%s\": %s", host,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && rv == 0; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			rv = acl_push(a, AF_INET, &((struct sockaddr_in *)
			    (void *)ai->ai_addr)->sin_addr, 32, deny);
		else if (ai->ai_family == AF_INET6)
			rv = acl_push(a, AF_INET6, &((struct sockaddr_in6 *)
			    (void *)ai->ai_addr)->sin6_addr, 128, deny);
	}
	freeaddrinfo(res);
	if (rv == -1)
		(void)snprintf(err, errlen, "%s: out of memory", host);
	return rv;
}

/*
 * What spec names: 1 for an address or a network (*family, addr, *bits);
 * 0 for a host name, copied to host; -1 with *errstr.
 */
static int
acl_parse(const char *spec, char *host, unsigned char *addr, int *family,
    int *bits, const char **errstr)
{
	char	*slash;
	int	 max;

	*errstr = NULL;
	if (*spec == '\0' || strlen(spec) >= NI_MAXHOST) {
		*errstr = "not an address, network or host name";
		return -1;
	}
	(void)strlcpy(host, spec, NI_MAXHOST);
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = AF_INET6;
	else if (slash == NULL)
		return 0;
	else {
		*errstr = "a network needs a numeric address before the /";
		return -1;
	}
	max = *family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash == NULL)
		return 1;
	*bits = (int)strtonum(slash, 0, max, errstr);
	if (*errstr != NULL) {
		*errstr = max == 32 ? "prefix length not in 0-32" :
		    "prefix length not in 0-128";
		return -1;
	}
	return 1;
}

/*
 * One rule: ADDR, ADDR/BITS or a host name. Returns 0, or -1 with a
 * message in err.
 */
int
acl_add(struct sc_acl *a, const char *spec, bool deny, char *err,
    size_t errlen)
{
	unsigned char	 addr[16];
	char		 host[NI_MAXHOST];
	const char	*errstr;
	int		 family, bits;

	switch (acl_parse(spec, host, addr, &family, &bits, &errstr)) {
	case -1:
		(void)snprintf(err, errlen, "\"%.64s\": %s", spec, errstr);
		return -1;
	case 0:
		return acl_add_host(a, host, deny, err, errlen);
	default:
		break;
	}
	if (acl_push(a, family, addr, bits, deny) == -1) {
		(void)snprintf(err, errlen, "%s: out of memory", spec);
		return -1;
	}
	return 0;
}

/* Rules from a file: one per line; blank lines and # comments skipped. */
int
acl_add_file(struct sc_acl *a, const char *path, bool deny, char *err,
    size_t errlen)
{
	FILE	*f;
	char	 line[1024], *p, *e;
	int	 lineno = 0, rv = 0;

	if ((f = fopen(path, "re")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while (rv == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p + strlen(p); e > p && strchr(" \t\r\n", e[-1]);)
			*--e = '\0';
		if (*p == '\0')
			continue;
		if (acl_add(a, p, deny, err, errlen) == -1) {
			size_t	 n = strlen(err);

			(void)snprintf(err + n, errlen - n, " (%s line %d)",
			    path, lineno);
			rv = -1;
		}
	}
	if (rv == 0 && ferror(f)) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	(void)fclose(f);
	return rv;
}

struct sc_acl *
acl_new(void)
{
	return calloc(1, sizeof(struct sc_acl));
}

void
acl_free(struct sc_acl *a)
{
	if (a == NULL)
		return;
	free(a->rules);
	free(a);
}

static bool
acl_match(const struct acl_rule *r, int family, const unsigned char *addr)
{
	int	 full = r->bits / 8, rest = r->bits % 8;

	if (r->family != family)
		return false;
	if (memcmp(r->addr, addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((r->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

/* Deny beats allow; with allow rules, only what they match comes in. */
bool
acl_permits(const struct sc_acl *a, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in6	*s6;
	const unsigned char		*addr;
	int				 family = sa->sa_family;
	bool				 allowed = false;
	size_t				 i;

	(void)len;
	if (family == AF_INET)
		addr = (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	else if (family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		addr = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			family = AF_INET;
			addr += 12;
		}
	} else
		return true;	/* UNIX sockets have no address to check */
	for (i = 0; i < a->n; i++) {
		if (!acl_match(&a->rules[i], family, addr))
			continue;
		if (a->rules[i].deny)
			return false;
		allowed = true;
	}
	return allowed || !a->any_allow;
}

/*
 * May a client at sa in? a NULL list admits everyone. A client refused
 * is reported (-v); the caller closes it or drops its datagram.
 */
bool
acl_admits(const struct sc_acl *a, const struct sockaddr *sa, socklen_t len)
{
	char	 host[SC_HOSTLEN];
	int	 port;

	if (a == NULL || acl_permits(a, sa, len))
		return true;
	addr_numeric(sa, len, host, sizeof(host), &port);
	log_verbose(1, "Connection denied on %s %d: not allowed "
	    "(--allow, --deny)", host, port);
	return false;
}

/* Is spec well-formed, before any name is looked up? */
bool
acl_syntax_ok(const char *spec, const char **errstr)
{
	unsigned char	 addr[16];
	char		 host[NI_MAXHOST];
	int		 family, bits;

	return acl_parse(spec, host, addr, &family, &bits, errstr) != -1;
}

/*
 * The access list of the command line, names resolved and files read
 * now. NULL with *err on failure: an unknown name is a resolution failure
 * (exit 3), a file that cannot be read an I/O failure (exit 1).
 */
struct sc_acl *
acl_build(const struct sc_opts *o, struct sc_error *err)
{
	struct sc_acl	*a;
	char		 msg[512];
	size_t		 i;
	int		 rv;

	if ((a = acl_new()) == NULL) {
		error_set(err, SC_EXIT_FAIL, ENOMEM, "access list");
		return NULL;
	}
	a->numeric = o->numeric;
	for (i = 0; i < o->nacl; i++) {
		const struct sc_acl_spec	*s = &o->acl[i];

		if (s->file)
			rv = acl_add_file(a, s->spec, s->deny, msg,
			    sizeof(msg));
		else
			rv = acl_add(a, s->spec, s->deny, msg, sizeof(msg));
		if (rv == -1) {
			error_reason(err, s->file ? SC_EXIT_FAIL :
			    SC_EXIT_RESOLVE, NULL, "--%s%s %s", s->deny ?
			    "deny" : "allow", s->file ? "file" : "", msg);
			acl_free(a);
			return NULL;
		}
	}
	return a;
}
