# SPDX-License-Identifier: MIT
# routers/ — one loadable module per policy (never linked to libdbrouter).
routers_LTLIBRARIES += routers/per_model.la routers/round_robin.la routers/pinning.la routers/shard.la \
	routers/tenant.la routers/causal.la

routers_per_model_la_SOURCES = routers/per_model.c
routers_per_model_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_per_model_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)

routers_round_robin_la_SOURCES = routers/round_robin.c
routers_round_robin_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_round_robin_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
routers_round_robin_la_LIBADD = $(PTHREAD_LIBS)

routers_pinning_la_SOURCES = routers/pinning.c
routers_pinning_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_pinning_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)

routers_shard_la_SOURCES = routers/shard.c
routers_shard_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_shard_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)

routers_tenant_la_SOURCES = routers/tenant.c
routers_tenant_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_tenant_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
routers_tenant_la_LIBADD = $(PTHREAD_LIBS)
routers_causal_la_SOURCES = routers/causal.c
routers_causal_la_CFLAGS = $(DBR_PLUGIN_COPTS)
routers_causal_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
