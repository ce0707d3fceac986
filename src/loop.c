/*
 * The event loop: descriptors, timers and signals. On Linux it waits with
 * epoll, so a server holding tens of thousands of connections pays O(1)
 * per event; elsewhere it falls back to poll(2). Never select(2).
 *
 * Descriptors the backend cannot wait on (regular files, /dev/null under
 * epoll) count as always ready, which is what poll(2) says of them too.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#ifdef USE_EPOLL
#include <sys/epoll.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockcat.h"

#define LOOP_MAXEVENTS	256

struct watch {
	unsigned	 want;		/* SC_EV_IN | SC_EV_OUT, 0: unwatched */
	unsigned	 have;		/* what the backend is told */
	bool		 always;	/* the backend refused it: ready */
	sc_io_cb	*cb;
	void		*arg;
};

struct sc_loop {
	struct watch	*w;		/* indexed by descriptor */
	size_t		 nw;
	int		*always;	/* descriptors that are always ready */
	size_t		 nalways;
	struct sc_timer	**heap;		/* timers, earliest first */
	size_t		 nheap;
	size_t		 heapcap;
	bool		 stop;
	struct sc_defer	*deferred;	/* to call on the next turn */
	struct sc_defer	*running;	/* being called on this turn */
#ifdef USE_EPOLL
	int		 epfd;
#endif
	int		 sigfd;		/* read end of the signal pipe */
	sc_signal_cb	*sigcb[NSIG];
	void		*sigarg[NSIG];
};

/*
 * The write end of the signal pipe. A signal handler can reach nothing
 * else, so this is the one file-scope variable the loop needs.
 */
static volatile sig_atomic_t loop_sigpipe = -1;

const char *
loop_backend(void)
{
#ifdef USE_EPOLL
	return "epoll";
#else
	return "poll";
#endif
}

int64_t
loop_now_ms(struct sc_loop *loop)
{
	struct timespec	 ts;

	(void)loop;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sc_loop *
loop_new(void)
{
	struct sc_loop	*loop;

	if ((loop = calloc(1, sizeof(*loop))) == NULL)
		return NULL;
	loop->sigfd = -1;
#ifdef USE_EPOLL
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(loop);
		return NULL;
	}
#endif
	return loop;
}

void
loop_free(struct sc_loop *loop)
{
	if (loop == NULL)
		return;
#ifdef USE_EPOLL
	(void)close(loop->epfd);
#endif
	if (loop->sigfd != -1) {
		(void)close(loop->sigfd);
		(void)close(loop_sigpipe);
		loop_sigpipe = -1;
	}
	free(loop->w);
	free(loop->always);
	free(loop->heap);
	free(loop);
}

static int
loop_grow(struct sc_loop *loop, int fd)
{
	struct watch	*nw;
	size_t		 n;

	if ((size_t)fd < loop->nw)
		return 0;
	n = loop->nw ? loop->nw : 64;
	while (n <= (size_t)fd)
		n *= 2;
	if ((nw = reallocarray(loop->w, n, sizeof(*nw))) == NULL)
		return -1;
	memset(nw + loop->nw, 0, (n - loop->nw) * sizeof(*nw));
	loop->w = nw;
	loop->nw = n;
	return 0;
}

static void
loop_always_del(struct sc_loop *loop, int fd)
{
	size_t	 i;

	for (i = 0; i < loop->nalways; i++) {
		if (loop->always[i] == fd) {
			loop->always[i] = loop->always[--loop->nalways];
			return;
		}
	}
}

static int
loop_always_add(struct sc_loop *loop, int fd)
{
	int	*na;

	na = reallocarray(loop->always, loop->nalways + 1, sizeof(*na));
	if (na == NULL)
		return -1;
	loop->always = na;
	loop->always[loop->nalways++] = fd;
	loop->w[fd].always = true;
	return 0;
}

#ifdef USE_EPOLL
/* Tell epoll what we want of fd; EPERM means it cannot wait on fd. */
static int
backend_update(struct sc_loop *loop, int fd, struct watch *w)
{
	struct epoll_event	 ev;
	int			 op;

	if (w->always || w->want == w->have)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	if (w->want & SC_EV_IN)
		ev.events |= EPOLLIN;
	if (w->want & SC_EV_OUT)
		ev.events |= EPOLLOUT;
	if (w->want & SC_EV_PRI)
		ev.events |= EPOLLPRI;
	/*
	 * An fd with nothing wanted leaves the set: epoll would otherwise
	 * go on reporting its hang-up and the loop would spin.
	 */
	if (w->want == 0)
		op = EPOLL_CTL_DEL;
	else
		op = w->have == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(loop->epfd, op, fd, &ev) == -1) {
		if (errno == EPERM && op == EPOLL_CTL_ADD)
			return loop_always_add(loop, fd);
		/* Closed or replaced behind our back: epoll forgot it. */
		if (op != EPOLL_CTL_DEL || (errno != ENOENT && errno != EBADF))
			return -1;
	}
	w->have = w->want;
	return 0;
}
#else
static int
backend_update(struct sc_loop *loop, int fd, struct watch *w)
{
	(void)loop;
	(void)fd;
	w->have = w->want;
	return 0;
}
#endif

/*
 * Watch fd for events (SC_EV_IN, SC_EV_OUT); 0 stops watching it. The
 * callback receives the ready events; an error or hang-up is delivered as
 * SC_EV_ERR together with every wanted event, so that the callback's read
 * or write finds out what happened.
 */
int
loop_watch(struct sc_loop *loop, int fd, unsigned events, sc_io_cb *cb,
    void *arg)
{
	struct watch	*w;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (loop_grow(loop, fd) == -1)
		return -1;
	w = &loop->w[fd];
	w->want = events & (SC_EV_IN | SC_EV_OUT | SC_EV_PRI);
	if (w->want != 0) {
		w->cb = cb;
		w->arg = arg;
	}
	return backend_update(loop, fd, w);
}

/* Forget fd entirely; call it before closing fd. */
void
loop_forget(struct sc_loop *loop, int fd)
{
	struct watch	*w;

	if (fd < 0 || (size_t)fd >= loop->nw)
		return;
	w = &loop->w[fd];
	w->want = 0;
	if (w->always)
		loop_always_del(loop, fd);
	else
		(void)backend_update(loop, fd, w);
	memset(w, 0, sizeof(*w));
}

static void
loop_dispatch(struct sc_loop *loop, int fd, unsigned ready)
{
	struct watch	*w;

	if (fd < 0 || (size_t)fd >= loop->nw)
		return;
	w = &loop->w[fd];
	if (ready & SC_EV_ERR)
		ready |= w->want & ~SC_EV_PRI;	/* PRI only when it is so */
	ready &= w->want | SC_EV_ERR;
	/* an error alone too: it stays reported until someone takes it */
	if (w->want != 0 && ready != 0)
		w->cb(loop, fd, ready, w->arg);
}

/* Timers: a binary min-heap on the deadline. */
static void
heap_swap(struct sc_loop *loop, size_t a, size_t b)
{
	struct sc_timer	*t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->slot = a;
	loop->heap[b]->slot = b;
}

static void
heap_up(struct sc_loop *loop, size_t i)
{
	while (i > 0) {
		size_t	 p = (i - 1) / 2;

		if (loop->heap[p]->when_ms <= loop->heap[i]->when_ms)
			break;
		heap_swap(loop, i, p);
		i = p;
	}
}

static void
heap_down(struct sc_loop *loop, size_t i)
{
	for (;;) {
		size_t	 l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nheap &&
		    loop->heap[l]->when_ms < loop->heap[m]->when_ms)
			m = l;
		if (r < loop->nheap &&
		    loop->heap[r]->when_ms < loop->heap[m]->when_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(loop, i, m);
		i = m;
	}
}

void
loop_timer_stop(struct sc_loop *loop, struct sc_timer *t)
{
	size_t	 i;

	if (!t->armed)
		return;
	t->armed = false;
	i = t->slot;
	loop->nheap--;
	if (i == loop->nheap)
		return;
	loop->heap[i] = loop->heap[loop->nheap];
	loop->heap[i]->slot = i;
	heap_down(loop, i);
	heap_up(loop, i);
}

/*
 * Arm t to fire once, ms from now (re-arming it if it was armed). Only
 * memory exhaustion can fail here, and then the loop is no use anyway:
 * the timer is then fired at once so that nothing waits for ever.
 */
void
loop_timer_start(struct sc_loop *loop, struct sc_timer *t, int64_t ms,
    sc_timer_cb *cb, void *arg)
{
	struct sc_timer	**nh;

	loop_timer_stop(loop, t);
	t->cb = cb;
	t->arg = arg;
	t->when_ms = loop_now_ms(loop) + (ms < 0 ? 0 : ms);
	if (loop->nheap == loop->heapcap) {
		size_t	 n = loop->heapcap ? loop->heapcap * 2 : 16;

		if ((nh = reallocarray(loop->heap, n, sizeof(*nh))) == NULL) {
			t->when_ms = 0;
			cb(loop, t, arg);
			return;
		}
		loop->heap = nh;
		loop->heapcap = n;
	}
	t->slot = loop->nheap;
	t->armed = true;
	loop->heap[loop->nheap++] = t;
	heap_up(loop, t->slot);
}

static void
loop_run_timers(struct sc_loop *loop)
{
	int64_t		 now = loop_now_ms(loop);
	struct sc_timer	*t;

	while (!loop->stop && loop->nheap > 0 &&
	    loop->heap[0]->when_ms <= now) {
		t = loop->heap[0];
		loop_timer_stop(loop, t);
		t->cb(loop, t, t->arg);
	}
}

static void
defer_push(struct sc_defer **head, struct sc_defer *d)
{
	d->prev = NULL;
	d->next = *head;
	if (*head != NULL)
		(*head)->prev = d;
	*head = d;
	d->head = head;
	d->pending = true;
}

static void
defer_unlink(struct sc_defer *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		*d->head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	d->next = d->prev = NULL;
	d->head = NULL;
	d->pending = false;
}

/* Call cb(arg) on the loop's next turn, once, however often asked. */
void
loop_defer(struct sc_loop *loop, struct sc_defer *d, sc_defer_cb *cb,
    void *arg)
{
	d->cb = cb;
	d->arg = arg;
	if (!d->pending)
		defer_push(&loop->deferred, d);
}

/* Forget a deferred call; safe from within another deferred call. */
void
loop_defer_cancel(struct sc_loop *loop, struct sc_defer *d)
{
	(void)loop;
	if (d->pending)
		defer_unlink(d);
}

/*
 * Run what was deferred. Calls deferred meanwhile wait for the next turn;
 * a call cancelled meanwhile (its owner freed) is not made.
 */
static void
loop_run_deferred(struct sc_loop *loop)
{
	struct sc_defer	*d;

	loop->running = loop->deferred;
	loop->deferred = NULL;
	for (d = loop->running; d != NULL; d = d->next)
		d->head = &loop->running;
	while ((d = loop->running) != NULL && !loop->stop) {
		defer_unlink(d);
		d->cb(loop, d->arg);
	}
	/* stopped early: what is left stays due */
	while ((d = loop->running) != NULL) {
		defer_unlink(d);
		defer_push(&loop->deferred, d);
	}
}

static int
loop_timeout(struct sc_loop *loop)
{
	int64_t	 d;
	size_t	 i;

	if (loop->deferred != NULL)
		return 0;

	for (i = 0; i < loop->nalways; i++) {
		if (loop->w[loop->always[i]].want != 0)
			return 0;
	}
	if (loop->nheap == 0)
		return -1;
	d = loop->heap[0]->when_ms - loop_now_ms(loop);
	if (d <= 0)
		return 0;
	return d > 1000000 ? 1000000 : (int)d;
}

/* Signals: the handler writes the signal number into a pipe. */
static void
loop_sighandler(int signo)
{
	unsigned char	 c = (unsigned char)signo;
	int		 saved = errno;

	if (loop_sigpipe != -1)
		(void)write(loop_sigpipe, &c, 1);
	errno = saved;
}

static void
loop_sigread(struct sc_loop *loop, int fd, unsigned ev, void *arg)
{
	unsigned char	 sigs[64];
	ssize_t		 n, i;

	(void)ev;
	(void)arg;
	while ((n = read(fd, sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			if (sigs[i] < NSIG && loop->sigcb[sigs[i]] != NULL)
				loop->sigcb[sigs[i]](loop, sigs[i],
				    loop->sigarg[sigs[i]]);
		}
	}
}

static int
loop_sigsetup(struct sc_loop *loop)
{
	int	 p[2];

#ifdef HAVE_PIPE2
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
#else
	if (pipe(p) == -1)
		return -1;
	if (sys_set_cloexec(p[0]) == -1 || sys_set_cloexec(p[1]) == -1 ||
	    sys_set_nonblock(p[0], true) == -1 ||
	    sys_set_nonblock(p[1], true) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
#endif
	if (loop_watch(loop, p[0], SC_EV_IN, loop_sigread, NULL) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	loop->sigfd = p[0];
	loop_sigpipe = p[1];
	return 0;
}

/* Deliver signo to cb from the loop instead of from a handler. */
int
loop_signal(struct sc_loop *loop, int signo, sc_signal_cb *cb, void *arg)
{
	struct sigaction	 sa;

	if (signo <= 0 || signo >= NSIG || signo > 255) {
		errno = EINVAL;
		return -1;
	}
	if (loop->sigfd == -1 && loop_sigsetup(loop) == -1)
		return -1;
	loop->sigcb[signo] = cb;
	loop->sigarg[signo] = arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_sighandler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL);
}

#ifdef USE_EPOLL
static int
backend_wait(struct sc_loop *loop, int timeout)
{
	struct epoll_event	 ev[LOOP_MAXEVENTS];
	int			 n, i;
	unsigned		 ready;

	n = epoll_wait(loop->epfd, ev, LOOP_MAXEVENTS, timeout);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n && !loop->stop; i++) {
		ready = 0;
		if (ev[i].events & EPOLLIN)
			ready |= SC_EV_IN;
		if (ev[i].events & EPOLLOUT)
			ready |= SC_EV_OUT;
		if (ev[i].events & EPOLLPRI)
			ready |= SC_EV_PRI;
		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			ready |= SC_EV_ERR;
		loop_dispatch(loop, ev[i].data.fd, ready);
	}
	return 0;
}
#else
static int
backend_wait(struct sc_loop *loop, int timeout)
{
	struct pollfd	*pfd;
	size_t		 i, n = 0;
	int		 rv;
	unsigned	 ready;

	if ((pfd = reallocarray(NULL, loop->nw + 1, sizeof(*pfd))) == NULL)
		return -1;
	for (i = 0; i < loop->nw; i++) {
		if (loop->w[i].want == 0 || loop->w[i].always)
			continue;
		pfd[n].fd = (int)i;
		pfd[n].events = 0;
		pfd[n].revents = 0;
		if (loop->w[i].want & SC_EV_IN)
			pfd[n].events |= POLLIN;
		if (loop->w[i].want & SC_EV_OUT)
			pfd[n].events |= POLLOUT;
		if (loop->w[i].want & SC_EV_PRI)
			pfd[n].events |= POLLPRI;
		n++;
	}
	rv = poll(pfd, n, timeout);
	if (rv == -1) {
		free(pfd);
		return errno == EINTR ? 0 : -1;
	}
	for (i = 0; i < n && rv > 0 && !loop->stop; i++) {
		if (pfd[i].revents == 0)
			continue;
		ready = 0;
		if (pfd[i].revents & POLLIN)
			ready |= SC_EV_IN;
		if (pfd[i].revents & POLLOUT)
			ready |= SC_EV_OUT;
		if (pfd[i].revents & POLLPRI)
			ready |= SC_EV_PRI;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			ready |= SC_EV_ERR;
		loop_dispatch(loop, pfd[i].fd, ready);
	}
	free(pfd);
	return 0;
}
#endif

static void
loop_run_always(struct sc_loop *loop)
{
	int	 fds[8];
	size_t	 i, n;

	/*
	 * Callbacks may change the list; walk a copy. Only the standard
	 * descriptors can be regular files here, so a few slots suffice.
	 */
	if ((n = loop->nalways < 8 ? loop->nalways : 8) == 0)
		return;
	memcpy(fds, loop->always, n * sizeof(*fds));
	for (i = 0; i < n && !loop->stop; i++)
		loop_dispatch(loop, fds[i], SC_EV_IN | SC_EV_OUT);
}

/*
 * Run until loop_break(), which may also come before loop_run() is
 * called; -1 with errno if waiting itself fails.
 */
int
loop_run(struct sc_loop *loop)
{
	while (!loop->stop) {
		if (backend_wait(loop, loop_timeout(loop)) == -1)
			return -1;
		if (!loop->stop)
			loop_run_always(loop);
		loop_run_timers(loop);
		if (!loop->stop)
			loop_run_deferred(loop);
	}
	loop->stop = false;	/* a later loop_run() runs again */
	return 0;
}

void
loop_break(struct sc_loop *loop)
{
	loop->stop = true;
}
