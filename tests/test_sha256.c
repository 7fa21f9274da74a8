/* SPDX-License-Identifier: MIT */
/* test_sha256.c — core/sha256.c against published test vectors: SHA-256
 * with the FIPS 180-2 examples (and the empty message), HMAC-SHA-256 with
 * all seven test cases of RFC 4231 (case 5 truncated to 128 bits, as the
 * RFC gives it). Pin tokens are signed with this HMAC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* "ab12…" → bytes; returns the number of bytes. */
static size_t unhex(unsigned char *out, const char *hex)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
	}
	return n;
}

static void assert_digest(const unsigned char *got, const char *want_hex)
{
	unsigned char want[32];
	size_t n = unhex(want, want_hex);
	char got_hex[65];
	for (size_t i = 0; i < 32; i++)
		snprintf(got_hex + 2 * i, 3, "%02x", got[i]);
	if (memcmp(got, want, n) != 0)
		fail_msg("digest %.*s, expected %s", (int)(2 * n), got_hex, want_hex);
}

/* A message of `n` copies of `byte`, owned by the caller. */
static unsigned char *repeat(unsigned char byte, size_t n)
{
	unsigned char *m = malloc(n);
	assert_non_null(m);
	memset(m, byte, n);
	return m;
}

/* ------------------------------------------------------------- SHA-256 */

static const struct {
	const char *msg, *digest;
} fips[] = {
	/* FIPS 180-2, appendix B.1: one block */
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	/* FIPS 180-2, appendix B.2: two blocks */
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	/* NIST's example for the empty message */
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
};

static void sha256_fips_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fips) / sizeof(fips[0]); i++) {
		unsigned char md[32];
		dbr__sha256(md, fips[i].msg, strlen(fips[i].msg));
		assert_digest(md, fips[i].digest);
	}
}

/* FIPS 180-2, appendix B.3: one million 'a'. */
static void sha256_million_a(void **state)
{
	(void)state;
	unsigned char md[32], *m = repeat('a', 1000000);
	dbr__sha256(md, m, 1000000);
	free(m);
	assert_digest(md, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (55/56 bytes: the length still fits
 * the last block or needs another; 64: a full block), digests from Python's
 * hashlib (OpenSSL), an independent implementation. */
static const struct {
	size_t n;
	const char *digest;
} edges[] = {
	{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
	{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
	{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
	{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
	{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
};

static void sha256_padding_edges(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		unsigned char md[32], *m = repeat('a', edges[i].n);
		dbr__sha256(md, m, edges[i].n);
		free(m);
		assert_digest(md, edges[i].digest);
	}
}

/* ------------------------------------------------------- HMAC-SHA-256 */

/* RFC 4231 section 4: key and data as (byte, count) runs or text. */
typedef struct rfc_case {
	int number;
	unsigned char key_byte;   /* 0: key is key_text */
	size_t key_len;
	const char *key_text;
	unsigned char data_byte;  /* 0: data is data_text */
	size_t data_len;
	const char *data_text;
	const char *mac;          /* hex; case 5 gives only 128 bits */
} rfc_case;

static const rfc_case rfc4231[] = {
	{ 1, 0x0b, 20, NULL, 0, 0, "Hi There",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ 2, 0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ 3, 0xaa, 20, NULL, 0xdd, 50, NULL,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ 4, 0, 0, NULL /* 0x01..0x19 */, 0xcd, 50, NULL,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ 5, 0x0c, 20, NULL, 0, 0, "Test With Truncation", "a3b6167473100ee06e0c796c2955552b" },
	{ 6, 0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ 7, 0xaa, 131, NULL, 0, 0,
	  "This is a test using a larger than block-size key and a larger than block-size data. "
	  "The key needs to be hashed before being used by the HMAC algorithm.",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static void hmac_rfc4231(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		const rfc_case *c = &rfc4231[i];
		unsigned char key[131], data[50], mac[32];
		size_t klen = c->key_byte ? c->key_len : c->key_text ? strlen(c->key_text) : 25;
		size_t dlen = c->data_byte ? c->data_len : strlen(c->data_text);
		if (c->key_byte)
			memset(key, c->key_byte, klen);
		else if (c->key_text)
			memcpy(key, c->key_text, klen);
		else
			for (size_t k = 0; k < klen; k++)
				key[k] = (unsigned char)(k + 1);
		if (c->data_byte)
			memset(data, c->data_byte, dlen);
		dbr__hmac_sha256(mac, key, klen, c->data_byte ? (const void *)data : c->data_text, dlen);
		print_message("RFC 4231 test case %d\n", c->number);
		assert_digest(mac, c->mac);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_fips_examples),
		cmocka_unit_test(sha256_million_a),
		cmocka_unit_test(sha256_padding_edges),
		cmocka_unit_test(hmac_rfc4231),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
