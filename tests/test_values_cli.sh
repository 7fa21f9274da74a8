#!/bin/sh
# SPDX-License-Identifier: MIT
# test_values_cli.sh — what `dbrouter exec --json/--csv` prints for exact
# values of the real PostgreSQL and MariaDB servers: decimals as JSON
# numbers with every digit, NaN as a string, shortest doubles, blobs and
# NULLs as in CSV. Run by tests/server-suite.sh from the build directory
# with the servers' URLs in the environment; prints TAP.
set -u

CLI=${DBR_BUILDDIR:-$(pwd)}/tools/dbrouter
T=$(mktemp -d "${TMPDIR:-/tmp}/dbr-values.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

n=0
t() { # t DESC CMD...
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# out: /' "$T/out" "$T/err"
	fi
}
# same EXPECTED: the last output is exactly EXPECTED (printf format).
same() { printf "$1" | cmp -s - "$T/out"; }
# exact_json: strict JSON (NaN refused, UTF-8 strict) whose "d" parses to
# exactly the decimal digits the server sent.
exact_json() {
	python3 -c 'import decimal, json, sys
def bad(c): raise ValueError("not JSON: " + c)
rows = json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=bad,
                 parse_float=decimal.Decimal)
assert str(rows[0]["d"]) == "123456789012345678901234.5678", rows' "$T/out"
}

PG_SQL="SELECT 123456789012345678901234.5678::numeric AS d, 'NaN'::numeric AS nan, 19.99::float8 AS f, 0.1::float8 AS g, 'Infinity'::float8 AS inf, '\\x00ff'::bytea AS b, NULL::text AS n, '' AS e, chr(31) AS c, true AS bo"
PG_JSON='[\n  {"d": 123456789012345678901234.5678, "nan": "NaN", "f": 19.99, "g": 0.1, "inf": "Infinity", "b": "\\\\x00ff", "n": null, "e": "", "c": "\\u001f", "bo": true}\n]\n'
PG_CSV='d,nan,f,g,inf,b,n,e,c,bo\r\n123456789012345678901234.5678,NaN,19.99,0.1,Infinity,\\x00ff,,"",\037,true\r\n'
MY_SQL="SELECT CAST('123456789012345678901234.5678' AS DECIMAL(30,4)) AS d, CAST(18446744073709551615 AS UNSIGNED) AS u, CAST(19.99 AS DOUBLE) AS f, CAST(0.1 AS DOUBLE) AS g, x'00ff' AS b, NULL AS n, '' AS e, CONVERT(CHAR(31) USING utf8mb4) AS c"
MY_JSON='[\n  {"d": 123456789012345678901234.5678, "u": 18446744073709551615, "f": 19.99, "g": 0.1, "b": "\\\\x00ff", "n": null, "e": "", "c": "\\u001f"}\n]\n'
MY_CSV='d,u,f,g,b,n,e,c\r\n123456789012345678901234.5678,18446744073709551615,19.99,0.1,\\x00ff,,"",\037\r\n'

for be in postgres mariadb; do
	case $be in
	postgres) url=${DBR_PG_PRIMARY_URL:-} sql=$PG_SQL json=$PG_JSON csv=$PG_CSV ;;
	mariadb) url=${DBR_MY_PRIMARY_URL:-} sql=$MY_SQL json=$MY_JSON csv=$MY_CSV ;;
	esac
	if [ -z "$url" ]; then
		echo "Bail out! no URL for $be: run through tests/server-suite.sh"
		exit 1
	fi
	printf 'databases = { default = { url = "%s"; }; };\n' "$url" >"$T/$be.conf"
	"$CLI" -c "$T/$be.conf" exec --json "$sql" >"$T/out" 2>"$T/err"
	t "$be: --json prints decimals with every digit, NaN as a string, shortest doubles" \
		same "$json"
	t "$be: --json is strict JSON and the decimal parses back exactly" exact_json
	"$CLI" -c "$T/$be.conf" exec --csv "$sql" >"$T/out" 2>"$T/err"
	t "$be: --csv has the same digits, blob as \\x hex, NULL empty, \"\" for empty text" \
		same "$csv"
done
echo "1..$n"
