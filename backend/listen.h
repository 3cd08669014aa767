/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSB_LISTEN_H
#define KSB_LISTEN_H

/* A TCP listener on "ADDR:PORT" ("[v6]:PORT", "*:PORT" or ":PORT" for
 * every IPv4 address) with SO_REUSEPORT, so that every worker has its own
 * and ksteer can steer into a shared public port. fd or -1, errno set. */
int listen_on(const char *spec, int backlog);

#endif
