/* SPDX-License-Identifier: GPL-2.0 */
/* The ClientHello parser (shared/tls_hello.h) built for userspace. */
#ifndef KS_USER_HELLO_H
#define KS_USER_HELLO_H

#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

struct ks_buf {
	const unsigned char *p;
	size_t len;
};

int ks_buf_load(void *src, __u32 off, void *dst, __u32 len);
void ks_loop(__u32 n, long (*cb)(__u32, void *), void *arg);

#define KS_LOAD(c, off, dst, len) ks_buf_load((c)->src, (off), (dst), (len))
#define KS_LOOP(n, cb, arg) ks_loop((n), (cb), (arg))

#include "tls_hello.h"
#include "http_req.h"
#include "ssh_ident.h"

/* Parse buf[0..len) (from the first TLS record header) into s. */
int ks_parse_buf(const void *buf, size_t len, struct ks_scratch *s);

const char *ks_hello_status_name(int status);

/* Parse the request head in buf[0..len) as if on HTTP port port (host
 * order) into s (host, route space) and w (version, where the host came
 * from); lib/http_user.c. */
int ks_http_parse_buf(const void *buf, size_t len, __u16 port, struct ks_scratch *s,
		      struct ks_http_walk *w);
const char *ks_http_status_name(int status);
/* One JSON object (no newline): {"file":..,"complete":..,"status":..,
 * "host":..,"version":..,"host_from":..} */
void ks_http_json(FILE *out, const char *file, const struct ks_scratch *s,
		  const struct ks_http_walk *w);

/* One JSON object (no newline): {"file":..,"complete":..,"sni":..,"alpn":[..]} */
void ks_hello_json(FILE *out, const char *file, const struct ks_scratch *s);

/* JSON string with escapes; NULL prints null. */
void ks_json_str(FILE *out, const char *str, size_t len);

#endif
