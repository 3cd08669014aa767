/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING): the kernel picks a
 * free buffer when a receive completes, so an idle connection pins no
 * receive memory. A connection holds its buffer only until OpenSSL has
 * read it, then gives it back with bufring_put().
 */
#ifndef KSB_BUFRING_H
#define KSB_BUFRING_H

#include <liburing.h>

struct bufring {
	struct io_uring_buf_ring *br;
	char *mem;
	size_t ring_bytes, mem_bytes;
	unsigned entries, size;
	int bgid;
};

/* entries: a power of two. 0, or -errno (e.g. -EINVAL on kernels
 * without buffer rings). */
int bufring_init(struct io_uring *ring, struct bufring *b, unsigned entries,
		 unsigned size, int bgid);
void bufring_free(struct io_uring *ring, struct bufring *b);

static inline char *bufring_addr(struct bufring *b, unsigned bid)
{
	return b->mem + (size_t)bid * b->size;
}

/* Returns buffer bid to the kernel. */
void bufring_put(struct bufring *b, unsigned bid);

#endif
