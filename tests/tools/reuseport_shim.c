// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper (LD_PRELOAD): puts an unmodified server's UDP sockets in a
 * SO_REUSEPORT group, setting SO_REUSEPORT just before each bind(2), so
 * that Debian's gtlsserver (which shares a port with SO_REUSEADDR only)
 * can run in one group with another (tests/e2e/test_quic_group_e2e.sh).
 * Only bind is wrapped; the binary and everything else it does are its own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);
	int type = 0, on = 1;
	socklen_t tl = sizeof(type);

	if (!real_bind)
		real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
	    !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) && type == SOCK_DGRAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	return real_bind(fd, addr, len);
}
