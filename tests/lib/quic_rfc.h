/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RFC 9001 Appendix A / RFC 9369 Appendix A client Initial, for every
 * test that checks a decoder against it (test_quic, test_quic_crypt,
 * test_quic_decrypt); the packets are tests/data/captures/quic/rfc*-a2.bin.
 */
#ifndef KS_QUIC_RFC_H
#define KS_QUIC_RFC_H

static const unsigned char rfc_dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

/* RFC 9001 A.2 / RFC 9369 A.2: the client's CRYPTO frame (then PADDING to
 * 1162 bytes), the same plaintext in both. */
static const char rfc_crypto_frame[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";
#define RFC_PLAINTEXT_LEN 1162

/* The client's key, iv and hp (RFC 9001 A.1, RFC 9369 A.1). */
struct rfc_keys {
	const char *file, *name, *key, *iv, *hp;
	unsigned version;
};

static const struct rfc_keys rfc_keys[2] = {
	{ "rfc9001-a2.bin", "RFC 9001 A.2", "1f369613dd76d5467730efcbe3b1a22d",
	  "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2", 0x00000001 },
	{ "rfc9369-a2.bin", "RFC 9369 A.2", "8b1a0bc121284290a29e0971b5cd045d",
	  "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9", 0x6b3343cf },
};

#endif
