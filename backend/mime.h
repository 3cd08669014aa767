/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSB_MIME_H
#define KSB_MIME_H

/* The Content-Type for a file name, from its extension (case-insensitive);
 * application/octet-stream when unknown. */
const char *mime_type(const char *name);

#endif
