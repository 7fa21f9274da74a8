# SPDX-License-Identifier: MIT
# tests: cli — the `dbrouter` command end to end (TAP from a shell script).
TESTS += tests/test_cli.sh
EXTRA_DIST += tests/test_cli.sh

# secrets — no password in any output, whatever the URL; password_file.
# (tests/server-suite.sh runs it again with `servers` against real servers.)
TESTS += tests/test_secrets.sh
EXTRA_DIST += tests/test_secrets.sh
