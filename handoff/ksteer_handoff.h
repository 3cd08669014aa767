/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksteer hand-off: how a backend takes connections from ksteerd. ksteerd
 * connects to the backend's unix socket and passes the client's TCP socket
 * (SCM_RIGHTS) with a one-byte message 'K'. Nothing of the connection has
 * been read: the backend reads the ClientHello itself, getpeername() is the
 * client, getsockname() the public address. The socket is in blocking mode,
 * as accept() returns one. ksteerd keeps no copy, so the connection
 * outlives a ksteerd restart.
 *
 *   int lfd = ksteer_handoff_listen("/run/site.sock");
 *   for (;;) { int fd = ksteer_handoff_accept(lfd); ... serve fd ... }
 */
#ifndef KSTEER_HANDOFF_H
#define KSTEER_HANDOFF_H

/* A unix stream listener at path (a stale socket file is replaced), or -1
 * with errno set. */
int ksteer_handoff_listen(const char *path);

/* Blocks for one hand-off; the client's socket, or -1 with errno set
 * (EPROTO: the peer sent no socket or something else). */
int ksteer_handoff_accept(int lfd);

/* The same from an already accepted unix connection (event loops). */
int ksteer_handoff_recv(int conn);

#endif
