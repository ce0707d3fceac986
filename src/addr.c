/*
 * Addresses: ports and service names, host resolution through getaddrinfo,
 * UNIX paths and abstract names, and numeric formatting for messages.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <net/if.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockcat.h"

/*
 * Parse a port: a number 0-65535 or a service name known for proto. Zero
 * (the kernel picks) is accepted only when allow_zero is set. Returns 0,
 * or -1 with *errstr saying why.
 */
int
addr_parse_port(const char *s, const char *proto, bool allow_zero, int *port,
    const char **errstr)
{
	struct servent	*se;
	const char	*p;
	long long	 v;

	*errstr = NULL;
	if (*s == '\0') {
		*errstr = "empty";
		return -1;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (*p == '\0') {
		v = strtonum(s, 0, 65535, errstr);
		if (*errstr != NULL) {
			*errstr = "out of range (1-65535)";
			return -1;
		}
		if (v == 0 && !allow_zero) {
			*errstr = "0 is allowed only when listening";
			return -1;
		}
		*port = (int)v;
		return 0;
	}
	if ((se = getservbyname(s, proto)) == NULL) {
		*errstr = "not a number (1-65535) or a known service name";
		return -1;
	}
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

/* A numeric IPv4 or IPv6 address (an IPv6 one may have a %scope)? */
static bool
addr_is_literal(const char *host)
{
	unsigned char	 buf[sizeof(struct in6_addr)];
	char		 h[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct;

	if (inet_pton(AF_INET, host, buf) == 1)
		return true;
	if (strlen(host) >= sizeof(h))
		return false;
	(void)snprintf(h, sizeof(h), "%s", host);
	if ((pct = strchr(h, '%')) != NULL)
		*pct = '\0';
	return inet_pton(AF_INET6, h, buf) == 1;
}

/*
 * Resolve host (NULL: the wildcard address when passive) and port for the
 * options' transport and family. Returns 0 or a getaddrinfo() code.
 */
int
addr_resolve(const char *host, int port, const struct sc_opts *o,
    bool passive, struct addrinfo **res)
{
	struct addrinfo	 hints;
	char		 serv[16];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_socktype = o->proto->socktype;
	hints.ai_protocol = o->proto->protocol;
	hints.ai_flags = AI_NUMERICSERV;
	/*
	 * AI_ADDRCONFIG keeps a name's IPv6 addresses away from a host
	 * without IPv6, but glibc applies it to numeric addresses too (and
	 * counts no loopback address): 127.0.0.1 would not resolve where
	 * only lo has an IPv4 address. A literal is taken as written.
	 */
	if (passive)
		hints.ai_flags |= AI_PASSIVE;
	else if (host == NULL || !addr_is_literal(host))
		hints.ai_flags |= AI_ADDRCONFIG;
	if (o->numeric)
		hints.ai_flags |= AI_NUMERICHOST;
	(void)snprintf(serv, sizeof(serv), "%d", port < 0 ? 0 : port);
	return getaddrinfo(host, serv, &hints, res);
}

bool
addr_unix_abstract(const char *path)
{
	return path[0] == '@';
}

/*
 * Fill a sockaddr_un from a path, or from "@name" for an abstract name.
 * A path that does not fit is an error, never truncated.
 */
int
addr_unix(const char *path, struct sockaddr_un *sun, socklen_t *len,
    const char **errstr)
{
	size_t	 n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*errstr = NULL;
	if (n == 0) {
		*errstr = "empty UNIX socket path";
		return -1;
	}
	if (addr_unix_abstract(path)) {
#ifdef HAVE_ABSTRACT_UNIX
		if (n == 1) {
			*errstr = "empty abstract socket name";
			return -1;
		}
		if (n > sizeof(sun->sun_path)) {
			*errstr = "abstract name too long for sun_path";
			return -1;
		}
		memcpy(sun->sun_path + 1, path + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
#else
		*errstr = "abstract socket names are not supported here";
		return -1;
#endif
	}
	if (n >= sizeof(sun->sun_path)) {
		*errstr = "path too long for sun_path";
		return -1;
	}
	memcpy(sun->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* An IPv4-mapped IPv6 address is shown as the IPv4 address it maps. */
static socklen_t
addr_unmap(const struct sockaddr *sa, socklen_t len,
    struct sockaddr_storage *out)
{
	const struct sockaddr_in6	*s6;
	struct sockaddr_in		*s4;

	memcpy(out, sa, len < sizeof(*out) ? len : sizeof(*out));
	if (sa->sa_family != AF_INET6)
		return len;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return len;
	memset(out, 0, sizeof(*out));
	s4 = (struct sockaddr_in *)(void *)out;
	s4->sin_family = AF_INET;
	s4->sin_port = s6->sin6_port;
	memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	return sizeof(*s4);
}

/*
 * The numeric host (or UNIX path, "@name", "unnamed") into host, and the
 * port into *port (-1 for UNIX).
 */
void
addr_numeric(const struct sockaddr *sa, socklen_t len, char *host,
    size_t hostlen, int *port)
{
	struct sockaddr_storage		 ss;
	const struct sockaddr_un	*sun;
	char				 serv[NI_MAXSERV];
	const char			*errstr;
	size_t				 plen;

	*port = -1;
	if (sa->sa_family == AF_UNIX) {
		sun = (const struct sockaddr_un *)(const void *)sa;
		plen = len > offsetof(struct sockaddr_un, sun_path) ?
		    len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (plen == 0 || (sun->sun_path[0] == '\0' && plen == 1))
			(void)snprintf(host, hostlen, "unnamed");
		else if (sun->sun_path[0] == '\0')
			(void)snprintf(host, hostlen, "@%.*s", (int)(plen - 1),
			    sun->sun_path + 1);
		else
			(void)snprintf(host, hostlen, "%.*s",
			    (int)strnlen(sun->sun_path, plen), sun->sun_path);
		return;
	}
	len = addr_unmap(sa, len, &ss);
	if (getnameinfo((struct sockaddr *)&ss, len, host, hostlen, serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)snprintf(host, hostlen, "?");
		return;
	}
	*port = (int)strtonum(serv, 0, 65535, &errstr);
}

/* "ADDR port PORT" (or the UNIX path) for messages. */
const char *
addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char	 host[SC_HOSTLEN];
	int	 port;

	addr_numeric(sa, len, host, sizeof(host), &port);
	if (port < 0)
		(void)snprintf(buf, size, "%s", host);
	else
		(void)snprintf(buf, size, "%s port %d", host, port);
	return buf;
}

/* The service name of port for proto, or "*" as nc prints it. */
const char *
addr_service(int port, const char *proto)
{
	struct servent	*se;

	if ((se = getservbyport(htons((uint16_t)port), proto)) == NULL)
		return "*";
	return se->s_name;
}

/* Same family, address and port (or UNIX name)? */
bool
addr_equal(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
    socklen_t blen)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->sa_family != b->sa_family)
		return false;
	switch (a->sa_family) {
	case AF_INET:
		a4 = (const struct sockaddr_in *)(const void *)a;
		b4 = (const struct sockaddr_in *)(const void *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)(const void *)a;
		b6 = (const struct sockaddr_in6 *)(const void *)b;
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0 &&
		    a6->sin6_scope_id == b6->sin6_scope_id;
	default:
		return alen == blen && memcmp(a, b, alen) == 0;
	}
}

/* FNV-1a over bytes, continuing from h. */
static uint32_t
addr_fnv(uint32_t h, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/*
 * A hash of what addr_equal() compares, and nothing else (not the
 * padding, not an IPv6 flow label): equal addresses hash alike.
 */
uint32_t
addr_hash(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	uint32_t			 h = 2166136261U;

	h = addr_fnv(h, &sa->sa_family, sizeof(sa->sa_family));
	switch (sa->sa_family) {
	case AF_INET:
		s4 = (const struct sockaddr_in *)(const void *)sa;
		h = addr_fnv(h, &s4->sin_port, sizeof(s4->sin_port));
		return addr_fnv(h, &s4->sin_addr, sizeof(s4->sin_addr));
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		h = addr_fnv(h, &s6->sin6_port, sizeof(s6->sin6_port));
		h = addr_fnv(h, &s6->sin6_addr, sizeof(s6->sin6_addr));
		return addr_fnv(h, &s6->sin6_scope_id,
		    sizeof(s6->sin6_scope_id));
	default:
		return addr_fnv(h, sa, len);
	}
}

/* An IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group? */
bool
addr_is_multicast(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return IN_MULTICAST(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_MULTICAST(&s6->sin6_addr);
	}
	return false;
}

/*
 * Ports to scan: "80", "http", "20-25", or a comma-separated list of
 * those ("20-25,80,443"). Into a new array *ports of *n entries.
 */
int
addr_parse_ports(const char *s, const char *proto, uint16_t **ports,
    size_t *n, const char **errstr)
{
	char		 item[64], *dash;
	const char	*p = s, *comma;
	int		 lo, hi, v;
	size_t		 len, cap = 0;

	*ports = NULL;
	*n = 0;
	do {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item)) {
			*errstr = "empty or overlong item in the list";
			goto fail;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		/* A service name may have a dash (ftp-data): a name first. */
		if (addr_parse_port(item, proto, false, &lo, errstr) == 0)
			hi = lo;
		else if ((dash = strchr(item, '-')) != NULL && dash != item) {
			*dash++ = '\0';
			if (addr_parse_port(item, proto, false, &lo,
			    errstr) == -1 || addr_parse_port(dash, proto, false,
			    &hi, errstr) == -1)
				goto fail;
			if (lo > hi) {
				*errstr = "a range runs backwards";
				goto fail;
			}
		} else
			goto fail;
		for (v = lo; v <= hi; v++) {
			if (*n == cap) {
				uint16_t	*np;

				cap = cap ? cap * 2 : 16;
				if ((np = reallocarray(*ports, cap,
				    sizeof(*np))) == NULL) {
					*errstr = "out of memory";
					goto fail;
				}
				*ports = np;
			}
			(*ports)[(*n)++] = (uint16_t)v;
		}
		p = comma != NULL ? comma + 1 : NULL;
	} while (p != NULL);
	return 0;
fail:
	free(*ports);
	*ports = NULL;
	*n = 0;
	return -1;
}
