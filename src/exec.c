/*
 * The exec handler: one child per connection (-e PROG ARGS, split into
 * words without a shell; -c CMD, through /bin/sh), its stdin and stdout
 * on pipes relayed to the client. Every descriptor sockcat holds is
 * close-on-exec, so a child sees its own pipes and nothing else. The
 * client's end of file closes the child's stdin; the child's output is
 * relayed to its end. Children are reaped as they exit; a connection
 * keeps its --max-conns slot until its child is gone.
 *
 * Copyright (c) 2026 The sockcat authors. ISC license; see COPYING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockcat.h"

extern char **environ;

struct exec_child {
	pid_t		 pid;		/* 0 once reaped */
};

/* The child's end of the relay: two pipes, ours non-blocking. */
static ssize_t
child_read(struct sc_endpoint *ep, void *buf, size_t len)
{
	return sys_read(ep->rfd, buf, len);
}

static ssize_t
child_write(struct sc_endpoint *ep, const void *buf, size_t len)
{
	return sys_write(ep->wfd, buf, len);
}

/* The client's end of file: close the child's stdin. */
static int
child_shutdown_wr(struct sc_endpoint *ep)
{
	if (ep->wfd != -1)
		(void)close(ep->wfd);	/* a pipe: not traced */
	ep->wfd = -1;
	return 0;
}

/* The child's pipes are not sockets: close(2), not in the trace. */
static void
child_close(struct sc_endpoint *ep)
{
	if (ep->rfd != -1)
		(void)close(ep->rfd);
	if (ep->wfd != -1)
		(void)close(ep->wfd);
	free(ep);
}

static const struct sc_endpoint_ops child_ops = {
	.read = child_read,
	.write = child_write,
	.shutdown_wr = child_shutdown_wr,
	.close = child_close,
};

/*
 * Split cmd into words as sh would, without expanding anything: blanks
 * separate words; 'single quotes' keep everything; "double quotes" keep
 * everything but \\, \", \$ and \`, which lose their backslash; outside
 * quotes a backslash keeps the next character. Returns a NULL-ended
 * vector in one allocation, or NULL with *errstr.
 */
char **
exec_split(const char *cmd, const char **errstr)
{
	size_t	 n = strlen(cmd), words = 0;
	char	**argv, *out;
	char	 q = 0;
	bool	 inword = false;

	argv = malloc((n / 2 + 2) * sizeof(char *) + n + 1);
	if (argv == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	out = (char *)(argv + n / 2 + 2);
	for (; *cmd != '\0'; cmd++) {
		char	 ch = *cmd;

		if (q == 0 && (ch == ' ' || ch == '\t' || ch == '\n')) {
			if (inword)
				*out++ = '\0';
			inword = false;
			continue;
		}
		if (!inword) {
			argv[words++] = out;
			inword = true;
		}
		if (q == 0 && (ch == '\'' || ch == '"'))
			q = ch;
		else if (q != 0 && ch == q)
			q = 0;
		else if (ch == '\\' && q != '\'' && cmd[1] != '\0' &&
		    (q == 0 || strchr("\\\"$`", cmd[1]) != NULL))
			*out++ = *++cmd;
		else
			*out++ = ch;
	}
	if (inword)
		*out = '\0';
	argv[words] = NULL;
	if (q != 0 || words == 0) {
		*errstr = q != 0 ? "unterminated quote" : "empty command";
		free(argv);
		return NULL;
	}
	*errstr = NULL;
	return argv;
}

static int
env_add(char **env, size_t *n, const char *name, const char *value)
{
	size_t	 len = strlen(name) + strlen(value) + 2;

	if ((env[*n] = malloc(len)) == NULL)
		return -1;
	(void)snprintf(env[*n], len, "%s=%s", name, value);
	(*n)++;
	return 0;
}

static void
env_addr(char **env, size_t *n, const char *kind,
    const struct sockaddr_storage *ss, socklen_t len)
{
	char	 host[SC_HOSTLEN], name[32], port[16];
	int	 p;

	if (len <= sizeof(sa_family_t))
		return;
	addr_numeric((const struct sockaddr *)ss, len, host, sizeof(host), &p);
	(void)snprintf(name, sizeof(name), "SOCKCAT_%s_ADDR", kind);
	(void)env_add(env, n, name, host);
	if (p < 0)
		return;
	(void)snprintf(name, sizeof(name), "SOCKCAT_%s_PORT", kind);
	(void)snprintf(port, sizeof(port), "%d", p);
	(void)env_add(env, n, name, port);
}

/*
 * The child's environment: ours, without socket activation's variables
 * or stale SOCKCAT_*, plus what describes this connection.
 */
static char **
exec_env(const struct sc_conn *c)
{
	char		**env;
	size_t		 n = 0, i, cnt = 0;
	char		 v[32];

	while (environ[cnt] != NULL)
		cnt++;
	if ((env = calloc(cnt + 16, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < cnt; i++) {
		if (strncmp(environ[i], "SOCKCAT_", 8) == 0 ||
		    strncmp(environ[i], "LISTEN_", 7) == 0)
			continue;
		if ((env[n] = strdup(environ[i])) != NULL)
			n++;
	}
	(void)env_add(env, &n, "SOCKCAT_PROTO", c->srv->s.o->proto->name);
	env_addr(env, &n, "REMOTE", &c->peer, c->peerlen);
	env_addr(env, &n, "LOCAL", &c->local, c->locallen);
	/* SO_PEERCRED, or a datagram's SCM_CREDENTIALS (conn_peercred()) */
	if (c->has_cred) {
		(void)snprintf(v, sizeof(v), "%ld", (long)c->cred_pid);
		(void)env_add(env, &n, "SOCKCAT_PEER_PID", v);
		(void)snprintf(v, sizeof(v), "%ld", (long)c->cred_uid);
		(void)env_add(env, &n, "SOCKCAT_PEER_UID", v);
		(void)snprintf(v, sizeof(v), "%ld", (long)c->cred_gid);
		(void)env_add(env, &n, "SOCKCAT_PEER_GID", v);
	}
	env[n] = NULL;
	return env;
}

static void
env_free(char **env)
{
	size_t	 i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/*
 * In the child, after fork: descriptors in place, every signal at its
 * default and none blocked, then exec. An exec failure is reported
 * through errfd, which the exec closes.
 */
static void __attribute__((__noreturn__))
exec_child(const struct sc_opts *o, char **argv, char **env, int in, int out,
    int errfd)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	osdep_child_signals();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    (o->exec_stderr && dup2(out, STDERR_FILENO) == -1))
		goto fail;
	if (o->handler == SC_HANDLER_SH_EXEC)
		(void)execve("/bin/sh", argv, env);
	else
		(void)execvpe(argv[0], argv, env);
fail:
	e = errno;
	(void)write(errfd, &e, sizeof(e));
	_exit(127);
}

/*
 * Start the child with its stdin on in and stdout on out. Returns 0, or
 * an errno value (the exec's own, when the program cannot be run).
 */
static int
exec_spawn(const struct sc_opts *o, char **env, int in, int out, pid_t *pid)
{
	char		*shargv[4], **argv;
	const char	*errstr;
	int		 ep[2], e = 0;
	ssize_t		 n;

	if (o->handler == SC_HANDLER_SH_EXEC) {
		shargv[0] = (char *)(uintptr_t)"sh";
		shargv[1] = (char *)(uintptr_t)"-c";
		shargv[2] = (char *)(uintptr_t)o->exec_cmd;
		shargv[3] = NULL;
		argv = shargv;
	} else if ((argv = exec_split(o->exec_cmd, &errstr)) == NULL)
		return EINVAL;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		e = errno;
		goto out;
	}
	if ((*pid = fork()) == -1)
		e = errno;
	else if (*pid == 0) {
		(void)close(ep[0]);
		exec_child(o, argv, env, in, out, ep[1]);
	}
	(void)close(ep[1]);
	/* the exec closes ep[1] on success; a failure writes its errno */
	if (*pid > 0) {
		do
			n = read(ep[0], &e, sizeof(e));
		while (n == -1 && errno == EINTR);
		if (n != (ssize_t)sizeof(e))
			e = 0;
		else
			(void)waitpid(*pid, NULL, 0);
	}
	(void)close(ep[0]);
out:
	if (argv != shargv)
		free(argv);
	return e;
}

static int
exec_pipes(int in[2], int out[2])
{
	in[0] = in[1] = out[0] = out[1] = -1;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    sys_set_nonblock(in[1], true) == -1 ||
	    sys_set_nonblock(out[0], true) == -1)
		return -1;
	return 0;
}

static void
exec_close4(int in[2], int out[2])
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (in[i] != -1)
			(void)close(in[i]);
		if (out[i] != -1)
			(void)close(out[i]);
	}
}

static int
exec_start(struct sc_conn *c, struct sc_error *err)
{
	const struct sc_opts	*o = c->srv->s.o;
	struct exec_child	*ch;
	struct sc_endpoint	*ep;
	char			**env;
	int			 in[2], out[2], rv;

	if ((ch = calloc(1, sizeof(*ch))) == NULL ||
	    (ep = calloc(1, sizeof(*ep))) == NULL) {
		free(ch);
		error_set(err, SC_EXIT_FAIL, ENOMEM, "exec for %s", c->label);
		return -1;
	}
	if (exec_pipes(in, out) == -1 || (env = exec_env(c)) == NULL) {
		error_set(err, SC_EXIT_FAIL, errno, "pipe for %s", c->label);
		exec_close4(in, out);
		free(ch);
		free(ep);
		return -1;
	}
	rv = exec_spawn(o, env, in[0], out[1], &ch->pid);
	env_free(env);
	(void)close(in[0]);
	(void)close(out[1]);
	if (rv != 0) {
		error_set(err, SC_EXIT_FAIL, rv, "exec \"%s\"", o->exec_cmd);
		(void)close(in[1]);
		(void)close(out[0]);
		free(ch);
		free(ep);
		return -1;
	}
	ep->ops = &child_ops;
	ep->rfd = out[0];
	ep->wfd = in[1];
	ep->rsp.ok = ep->rsp.pipe = ep->wsp.ok = ep->wsp.pipe = true;
	ep->rsp.name = ep->wsp.name = "child";
	(void)snprintf(ep->rname, sizeof(ep->rname), "read from child %ld",
	    (long)ch->pid);
	(void)snprintf(ep->wname, sizeof(ep->wname), "write to child %ld",
	    (long)ch->pid);
	c->hstate = ch;
	c->side = ep;
	return 0;
}

/* The relay is over; the connection waits for its child to exit. */
static bool
exec_finish(struct sc_conn *c)
{
	struct exec_child	*ch = c->hstate;

	if (ch != NULL && ch->pid > 0)
		return true;
	free(ch);
	c->hstate = NULL;
	return false;
}

/* At sockcat's end: children still running are told to stop. */
static void
exec_stop(struct sc_conn *c)
{
	struct exec_child	*ch = c->hstate;

	if (ch != NULL && ch->pid > 0)
		(void)kill(ch->pid, SIGTERM);
	free(ch);
	c->hstate = NULL;
}

/* SIGCHLD: reap every child that exited; free what waited for it. */
void
exec_reap(struct sc_server *srv)
{
	struct sc_conn		*c, *next;
	struct exec_child	*ch;
	pid_t			 pid;
	int			 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (c = srv->conns; c != NULL; c = next) {
			next = c->next;
			ch = c->hstate;
			if (ch == NULL || ch->pid != pid)
				continue;
			ch->pid = 0;
			if (WIFSIGNALED(status))
				log_verbose(2, "Child %ld of %s killed by "
				    "signal %d", (long)pid, c->who,
				    WTERMSIG(status));
			else
				log_verbose(2, "Child %ld of %s exited with "
				    "status %d", (long)pid, c->who,
				    WEXITSTATUS(status));
			if (c->ended) {
				free(ch);
				c->hstate = NULL;
				conn_release(c);
			}
			break;
		}
	}
}

const struct sc_handler sc_handler_exec = {
	.name = "exec",
	.start = exec_start,
	.relay_cfg = conn_relay_cfg_duplex,
	.finish = exec_finish,
	.stop = exec_stop,
};
