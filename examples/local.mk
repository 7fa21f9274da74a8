# SPDX-License-Identifier: MIT
# examples: out-of-tree plugins (a router and a driver), built by
# tests/test_example.sh from the public headers only.
EXTRA_DIST += examples/audit_router/audit_router.c examples/audit_router/Makefile \
	examples/memkv_driver/memkv.c examples/memkv_driver/Makefile \
	examples/demo/demo.sh examples/demo/app.sql examples/demo/logs.sql examples/demo/session.txt
