/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a parsed request to a response ready to send: the file under
 * --root (opened beneath it with openat2 RESOLVE_BENEATH, so neither
 * ".." nor a symlink leads out), the status, the header; conn.c sends it.
 */
#ifndef KSB_HTTP_SERVE_H
#define KSB_HTTP_SERVE_H

#include "conn.h"
#include "http_parse.h"

/* Fills c->resp for r. Never fails: problems become error responses. */
void serve_request(struct conn *c, const struct http_req *r);
/* An error response (close: the connection ends after it). r may be NULL
 * when the request could not be parsed. */
void serve_error(struct conn *c, int status, int close, const struct http_req *r);
/* Ends c->resp: closes its file; keeps fbuf for the next response. */
void resp_reset(struct resp *p);

#endif
