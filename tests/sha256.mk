# SPDX-License-Identifier: MIT
# tests: sha256 (SHA-256 and HMAC-SHA-256 against FIPS 180-2 and RFC 4231)
check_PROGRAMS += tests/test_sha256
TESTS += tests/test_sha256
tests_test_sha256_SOURCES = tests/test_sha256.c
tests_test_sha256_CFLAGS = $(DBR_TEST_COPTS)
tests_test_sha256_LDADD = core/libdbrcore.la $(CMOCKA_LIBS)
