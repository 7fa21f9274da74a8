# SPDX-License-Identifier: MIT
# tests: fuzzing harnesses (tests/fuzz/). Here they are linked with the
# standalone driver and replay their seed corpora as ordinary tests, with
# whatever compiler configure found; tests/fuzz/run.sh builds the same
# harnesses with clang and libFuzzer and fuzzes each for a bounded time.
DBR_FUZZ_COPTS = $(AM_CFLAGS)
DBR_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz
DBR_FUZZ_DRIVER = tests/fuzz/standalone_driver.c tests/fuzz/fuzzer.h

check_PROGRAMS += tests/fuzz/url_fuzzer tests/fuzz/config_fuzzer \
	tests/fuzz/classify_fuzzer tests/fuzz/token_fuzzer
TESTS += tests/fuzz/url_fuzzer tests/fuzz/config_fuzzer \
	tests/fuzz/classify_fuzzer tests/fuzz/token_fuzzer

tests_fuzz_url_fuzzer_SOURCES = tests/fuzz/url_fuzzer.c $(DBR_FUZZ_DRIVER)
tests_fuzz_url_fuzzer_CPPFLAGS = $(DBR_FUZZ_CPPFLAGS) -DFUZZ_TARGET='"url"'
tests_fuzz_url_fuzzer_CFLAGS = $(DBR_FUZZ_COPTS)
tests_fuzz_url_fuzzer_LDADD = core/libdbrcore.la

tests_fuzz_config_fuzzer_SOURCES = tests/fuzz/config_fuzzer.c $(DBR_FUZZ_DRIVER)
tests_fuzz_config_fuzzer_CPPFLAGS = $(DBR_FUZZ_CPPFLAGS) -DFUZZ_TARGET='"config"'
tests_fuzz_config_fuzzer_CFLAGS = $(DBR_FUZZ_COPTS)
tests_fuzz_config_fuzzer_LDADD = libdbrouter.la

tests_fuzz_classify_fuzzer_SOURCES = tests/fuzz/classify_fuzzer.c $(DBR_FUZZ_DRIVER)
tests_fuzz_classify_fuzzer_CPPFLAGS = $(DBR_FUZZ_CPPFLAGS) -DFUZZ_TARGET='"classify"'
tests_fuzz_classify_fuzzer_CFLAGS = $(DBR_FUZZ_COPTS)
tests_fuzz_classify_fuzzer_LDADD = libdbrouter.la

tests_fuzz_token_fuzzer_SOURCES = tests/fuzz/token_fuzzer.c $(DBR_FUZZ_DRIVER)
tests_fuzz_token_fuzzer_CPPFLAGS = $(DBR_FUZZ_CPPFLAGS) -DFUZZ_TARGET='"token"'
tests_fuzz_token_fuzzer_CFLAGS = $(DBR_FUZZ_COPTS)
tests_fuzz_token_fuzzer_LDADD = libdbrouter.la

check_PROGRAMS += tests/fuzz/placeholders_fuzzer
TESTS += tests/fuzz/placeholders_fuzzer
tests_fuzz_placeholders_fuzzer_SOURCES = tests/fuzz/placeholders_fuzzer.c $(DBR_FUZZ_DRIVER)
tests_fuzz_placeholders_fuzzer_CPPFLAGS = $(DBR_FUZZ_CPPFLAGS) -DFUZZ_TARGET='"placeholders"'
tests_fuzz_placeholders_fuzzer_CFLAGS = $(DBR_FUZZ_COPTS)
tests_fuzz_placeholders_fuzzer_LDADD = core/libdbrcore.la

# The corpora (one directory per harness) and the libFuzzer runner.
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run.sh
