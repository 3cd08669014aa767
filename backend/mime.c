// SPDX-License-Identifier: GPL-2.0
/* File extension to Content-Type: the handful a static site serves. */
#include <string.h>
#include <strings.h>
#include "mime.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
	{ "woff2", "font/woff2" },
	{ "pdf", "application/pdf" },
};

const char *mime_type(const char *name)
{
	const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');

	/* A dot in a directory name, or a leading one (".profile"), is no
	 * extension. */
	if (dot && (!slash || dot > slash + 1) && dot != name) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	}
	return "application/octet-stream";
}
