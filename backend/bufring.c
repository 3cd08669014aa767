// SPDX-License-Identifier: GPL-2.0
/* Provided-buffer ring set up by hand: liburing 2.3 has no
 * io_uring_setup_buf_ring(), only the registration call. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "bufring.h"

int bufring_init(struct io_uring *ring, struct bufring *b, unsigned entries,
		 unsigned size, int bgid)
{
	struct io_uring_buf_reg reg = { 0 };
	int ret;

	memset(b, 0, sizeof(*b));
	b->entries = entries;
	b->size = size;
	b->bgid = bgid;
	b->ring_bytes = entries * sizeof(struct io_uring_buf);
	b->mem_bytes = (size_t)entries * size;
	/* The ring must be page aligned: mmap gives that. */
	b->br = mmap(NULL, b->ring_bytes, PROT_READ | PROT_WRITE,
		     MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	b->mem = mmap(NULL, b->mem_bytes, PROT_READ | PROT_WRITE,
		      MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (b->br == MAP_FAILED || b->mem == MAP_FAILED)
		return -ENOMEM;
	reg.ring_addr = (unsigned long)b->br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	ret = io_uring_register_buf_ring(ring, &reg, 0);
	if (ret)
		return ret;
	io_uring_buf_ring_init(b->br);
	for (unsigned i = 0; i < entries; i++)
		io_uring_buf_ring_add(b->br, bufring_addr(b, i), size, i,
				      io_uring_buf_ring_mask(entries), i);
	io_uring_buf_ring_advance(b->br, entries);
	return 0;
}

void bufring_put(struct bufring *b, unsigned bid)
{
	io_uring_buf_ring_add(b->br, bufring_addr(b, bid), b->size, bid,
			      io_uring_buf_ring_mask(b->entries), 0);
	io_uring_buf_ring_advance(b->br, 1);
}

void bufring_free(struct io_uring *ring, struct bufring *b)
{
	if (b->br && b->br != MAP_FAILED) {
		io_uring_unregister_buf_ring(ring, b->bgid);
		munmap(b->br, b->ring_bytes);
	}
	if (b->mem && b->mem != MAP_FAILED)
		munmap(b->mem, b->mem_bytes);
}
