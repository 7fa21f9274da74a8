# SPDX-License-Identifier: MIT
# The ABI guard (docs/design.md, "Versioning"): abi/check.sh compares the
# plugin ABI (abi/probe.c built against the headers) and libdbrouter.so with
# the committed baselines abi/*.abi; tests/test_abi.sh runs it and proves it
# refuses what needs a major.
TESTS += tests/test_abi.sh
EXTRA_DIST += tests/test_abi.sh abi/check.sh abi/probe.c abi/plugin-abi.abi abi/libdbrouter.abi

# dbrouter.pc's abi_major/abi_minor come from plugin.h (configure.ac).
CONFIG_STATUS_DEPENDENCIES = $(top_srcdir)/include/dbrouter/plugin.h

# `make abi-check`: the guard alone. `make abi-baseline`: re-baseline after
# an intended change (a major, or a new type added to abi/probe.c).
abi-check: libdbrouter.la
	CC='$(CC)' $(SHELL) $(top_srcdir)/abi/check.sh --lib $(top_builddir)/.libs/libdbrouter.so
abi-baseline: libdbrouter.la
	CC='$(CC)' $(SHELL) $(top_srcdir)/abi/check.sh --update --lib $(top_builddir)/.libs/libdbrouter.so
.PHONY: abi-check abi-baseline
