/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ksteer-backend's unit tests beyond the parser share: named
 * subtests ("ok - NAME: what" / "FAIL - NAME: what (file:line)", then
 * "N passed, N failed"), a scratch directory, files in it, and self-signed
 * certificates made with OpenSSL for a --certs directory.
 */
#ifndef KSB_TEST_H
#define KSB_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static int passed, failed;
static const char *subtest = "setup";

static void t_report(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void t_report(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	*(ok ? &passed : &failed) += 1;
	printf("%s - %s: ", ok ? "ok" : "FAIL", subtest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf(" (%s:%d)", file, line);
	printf("\n");
}

#define T(cond, ...) t_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* Runs fn() with its name on every line it reports. */
#define SUBTEST(fn) (subtest = #fn, fn())

static int t_summary(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

/* A fresh directory under /tmp, removed by t_scratch_remove(). */
static char *t_scratch(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/ksb-%s-XXXXXX", name);
	return mkdtemp(dir);
}

static void t_scratch_remove(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

/* dir/name with len bytes of data (or of a pattern from the offset when
 * data is NULL, so any range of it can be checked). 0 or -1. */
static int t_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (data)
		fwrite(data, 1, len, f);
	for (i = 0; !data && i < len; i++)
		fputc((int)(i * 7 % 251), f);
	return fclose(f);
}

/* The byte at off of a t_file(..., NULL, ...) pattern. */
static int t_pattern(size_t off)
{
	return (int)(off * 7 % 251);
}

static int t_write_pem(const char *dir, const char *cn, const char *ext, X509 *x, EVP_PKEY *k)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, cn, ext);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	return fclose(f) || !ok ? -1 : 0;
}

/* dir/CN.pem and dir/CN.key: a self-signed P-256 certificate for CN,
 * its serial the given one (to tell a reloaded certificate). 0 or -1. */
static int t_cert(const char *dir, const char *cn, long serial)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int rc = -1;

	if (!k || !x)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, k, EVP_sha256()))
		goto out;
	rc = t_write_pem(dir, cn, "pem", x, NULL) || t_write_pem(dir, cn, "key", NULL, k) ? -1 : 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

#endif
