# SPDX-License-Identifier: MIT
# docs/man: the manual pages, hand-written roff (no generator needed to
# build). tests/test_man.sh renders each with warnings on and checks
# dbrouter.conf(5) and the README against the settings the code reads.
dist_man_MANS = docs/man/dbrouter.1 docs/man/dbrouter.conf.5 \
	docs/man/libdbrouter.3 docs/man/dbrouter-plugin.7
TESTS += tests/test_man.sh
dist_noinst_SCRIPTS += tests/test_man.sh
