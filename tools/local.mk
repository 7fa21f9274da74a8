# SPDX-License-Identifier: MIT
# tools/ -> the `dbrouter` command (public API only: links libdbrouter).
bin_PROGRAMS += tools/dbrouter
tools_dbrouter_SOURCES = tools/dbrouter.c tools/cli.h tools/cli_output.c tools/cli_run.c \
	tools/cmd_check.c tools/cmd_status.c tools/cmd_exec.c tools/cmd_apply.c \
	tools/cmd_metrics.c
tools_dbrouter_LDADD = libdbrouter.la

# The bash completion, named after the command as bash-completion loads it;
# bashcompletiondir comes from configure (--with-bash-completion-dir).
dist_bashcompletion_DATA = completion/dbrouter

# The demo a new user runs first: examples/demo/demo.sh (see its header).
dist_noinst_SCRIPTS += examples/demo/demo.sh
dist_noinst_DATA += examples/demo/app.sql examples/demo/logs.sql examples/demo/session.txt
