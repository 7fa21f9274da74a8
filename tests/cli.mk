# tests: cli — the `dbrouter` command end to end (TAP from a shell script).
TESTS += tests/test_cli.sh
EXTRA_DIST += tests/test_cli.sh
