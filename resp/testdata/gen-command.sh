#!/bin/sh
# Regenerates the COMMAND fixtures used by commandtable_test.go:
#
#   command-7.0.json        COMMAND over RESP2 (key specs as flat key/value arrays)
#   command-7.0-resp3.json  COMMAND over RESP3 (key specs as maps)
#
# It starts a throwaway redis-server (no persistence, listening only on a unix
# socket in a temporary directory, so no TCP port is needed) and dumps the
# reply with redis-cli --json. Run it from anywhere:
#
#   sh resp/testdata/gen-command.sh     (or: go generate ./resp/)
#
# The reply's order follows the server's hash table, so a regeneration may
# reorder entries without changing their content.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=$(redis-server --version | sed -n 's/.*v=\([0-9]*\.[0-9]*\).*/\1/p')
tmp=$(mktemp -d)
sock="$tmp/redis.sock"

redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
	--dir "$tmp" --daemonize no >"$tmp/redis.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

i=0
until redis-cli -s "$sock" PING >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 50 ]; then
		cat "$tmp/redis.log" >&2
		echo "redis-server did not start" >&2
		exit 1
	fi
	sleep 0.1
done

redis-cli -2 -s "$sock" --json COMMAND >"$here/command-$version.json"
redis-cli -3 -s "$sock" --json COMMAND >"$here/command-$version-resp3.json"
echo "wrote $here/command-$version.json and $here/command-$version-resp3.json (redis $version)"
