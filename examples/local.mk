# examples: an out-of-tree plugin, built by tests/test_example.sh from the
# public headers only.
EXTRA_DIST += examples/audit_router/audit_router.c examples/audit_router/Makefile \
	examples/demo/demo.sh examples/demo/app.sql examples/demo/logs.sql examples/demo/session.txt
