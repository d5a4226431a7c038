#!/usr/bin/env bash
# Bytes per small hash (RSS growth / hashes, and used_memory growth / hashes) for InMemDB and
# redis-server on the same load:
# N hashes `hash:%08d`, each with F fields `field:0..F-1` → 8-byte values `v%07d`.
# Usage: benches/hash-memory.sh [N] [F...]   (defaults: 100000, fields 1 5 10 20)
# UNRELATED_FIELDS=1 names fields with 7 random letters instead (no shared prefixes, which
# InMemDB's listpack front-codes). Each (server, F) runs in a fresh server; loading goes
# through `redis-cli --pipe`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
shift || true
FIELDS=${*:-1 5 10 20}
BIN=${INMEMDB_BIN:-target/release/inmemdb}
[ -x "$BIN" ] || cargo build --release
command -v redis-server >/dev/null || { echo "redis-server not installed" >&2; exit 1; }
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

gen() { # $1 = fields per hash
    python3 - "$N" "$1" "${UNRELATED_FIELDS:-0}" > "$TMP/load.resp" <<'PY'
import random, sys
n, f, unrelated = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
out = sys.stdout.buffer
rng = random.Random(1)
names = [b"field:%d" % j for j in range(f)]
if unrelated:
    names = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(f)]
def bulk(b): return b"$%d\r\n%s\r\n" % (len(b), b)
for i in range(n):
    parts = [b"HSET", b"hash:%08d" % i]
    for j in range(f):
        parts += [names[j], b"v%07d" % ((i * 31 + j) % 10_000_000)]
    out.write(b"*%d\r\n" % len(parts) + b"".join(bulk(p) for p in parts))
PY
}

measure() { # $1 = name, $2 = fields; the server command follows
    local name=$1 f=$2 port
    shift 2
    port=$(free_port)
    "$@" --port "$port" --save '' --appendonly no --dir "$TMP" >"$TMP/$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    local before after ubefore uafter
    before=$(rss_kb "$PID")
    ubefore=$(used "$port")
    redis-cli -p "$port" --pipe <"$TMP/load.resp" >/dev/null
    [ "$(redis-cli -p "$port" dbsize)" = "$N" ] || { echo "$name: dbsize mismatch" >&2; exit 1; }
    local enc
    enc=$(redis-cli -p "$port" object encoding hash:00000000)
    case $enc in ERR*) enc="?" ;; esac
    after=$(rss_kb "$PID")
    uafter=$(used "$port")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    echo "$(( (after - before) * 1024 / N )) $(( (uafter - ubefore) / N )) $enc"
}

printf '%-7s %-26s %-26s %s\n' fields "inmemdb RSS/used B/hash" "redis RSS/used B/hash" \
    "RSS ratio"
for f in $FIELDS; do
    gen "$f"
    read -r ours oused oenc < <(measure inmemdb "$f" "$BIN")
    read -r theirs rused renc < <(measure redis "$f" redis-server)
    printf '%-7s %-26s %-26s %s\n' "$f" "$ours / $oused ($oenc)" "$theirs / $rused ($renc)" \
        "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')"
done
