#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh — what dbrouter does, in one minute, with SQLite only.
#
# Run it from the source tree or a build tree:   sh examples/demo/demo.sh
# It creates ./data afresh in the CURRENT directory and uses ./plugins.conf
# (else the one next to the sources; $DBROUTER_CONFIG wins). Set DBROUTER to
# the command to use (default: tools/dbrouter, as built).
set -eu

here=$(dirname -- "$0")
DBROUTER=${DBROUTER:-tools/dbrouter}
if [ -z "${DBROUTER_CONFIG:-}" ]; then
	if [ -f plugins.conf ]; then
		DBROUTER_CONFIG=plugins.conf
	else
		DBROUTER_CONFIG=$here/../../plugins.conf
	fi
fi
export DBROUTER_CONFIG
# In a build tree the plugins sit in drivers/ and routers/ right here.
if [ -z "${DBROUTER_PLUGIN_PATH:-}" ] && [ -e drivers/sqlite.la ]; then
	DBROUTER_PLUGIN_PATH=$(pwd)
	export DBROUTER_PLUGIN_PATH
fi

step() {
	printf '\n$ dbrouter %s\n' "$*"
	"$DBROUTER" "$@"
}

rm -rf data
mkdir data

step check
step apply --model User "$here/app.sql"
step apply --model Log "$here/logs.sql"
step run "$here/session.txt"
step status
