#!/usr/bin/env bash
# AOF benchmark: InMemDB next to redis-server on the same data.
#
#   benches/aof-vs-redis.sh [KEYS]        (default 1000000)
#
# Both servers run with appendonly yes, appendfsync everysec, on their own
# temp dir; Redis with aof-use-rdb-preamble no so both rewrite to plain RESP
# (Redis 7's default, an RDB preamble, is also measured for reference).
# Measured, for each server:
#   1. load:     KEYS x `SET key:<n> <16-byte value>` through redis-cli --pipe;
#   2. rewrite:  BGREWRITEAOF wall time (polling INFO every 10 ms) and the
#                rewritten file's size;
#   3. SET/s:    redis-benchmark SET (50 clients, pipeline 16, random keys in
#                the same key space) alone, then with back-to-back rewrites
#                running the whole time;
#   4. AOF load: restart on (a) the same generated file of KEYS SETs and
#                (b) the server's own rewritten file; the time each server
#                logs ("DB loaded from append only file: X seconds"), best of
#                3 runs alternating the two servers. (Not polled from outside:
#                on a small machine the polling client itself slows loading.)
# The machine is shared and small (see the header line): numbers move by
# 2x between runs; compare the columns of one run, not runs.
# Needs: cargo, redis-server, redis-cli, redis-benchmark, python3.
set -euo pipefail

KEYS=${1:-1000000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
INMEMDB=$PWD/target/release/inmemdb
ROOT=$(mktemp -d /tmp/aof-bench.XXXXXX)
P_IMDB=17811
P_REDIS=17812
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$ROOT"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# Generated input: KEYS SET commands in RESP.
python3 - "$KEYS" "$ROOT/input.aof" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "wb") as f:
    f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    buf = []
    for i in range(n):
        k = b"key:%012d" % i
        v = b"val:%012d" % i
        buf.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        if len(buf) == 10000:
            f.write(b"".join(buf)); buf = []
    f.write(b"".join(buf))
EOF

start_server() { # name port dir extra...
    local name=$1 port=$2 dir=$3
    shift 3
    mkdir -p "$dir"
    if [ "$name" = inmemdb ]; then
        "$INMEMDB" --port "$port" --dir "$dir" --appendonly yes --appendfsync everysec \
            --auto-aof-rewrite-percentage 0 "$@" >"$dir/../$name.log" 2>&1 &
    else
        redis-server --port "$port" --dir "$dir" --appendonly yes --appendfsync everysec \
            --save '' --auto-aof-rewrite-percentage 0 "$@" >"$dir/../$name.log" 2>&1 &
    fi
    PIDS+=($!)
    LAST_PID=$!
}

# Start on `dir` (already holding an AOF), wait for the load, stop; print
# the load time the server logged, in ms.
load_ms() { # name port dir extra...
    local name=$1 port=$2 dir=$3 log
    start_server "$@"
    wait_pong "$port" >/dev/null
    stop_server "$port" "$LAST_PID"
    log=$dir/../$name.log
    grep -o 'DB loaded from append only file: [0-9.]*' "$log" | awk '{printf "%d", $NF * 1000}'
}

wait_pong() { # port -> prints ms waited
    local t0 r
    t0=$(now_ms)
    while true; do
        r=$(redis-cli -p "$1" ping 2>/dev/null || true)
        [ "$r" = PONG ] && break
        sleep 0.005
    done
    echo $(($(now_ms) - t0))
}

stop_server() { # port pid
    redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
    while kill -0 "$2" 2>/dev/null; do sleep 0.01; done
}

info() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v k="$2" '$1==k {print $2}'; }

rewrite_once() { # port -> ms
    local t0
    t0=$(now_ms)
    redis-cli -p "$1" bgrewriteaof >/dev/null
    while [ "$(info "$1" aof_rewrite_in_progress)" != 0 ] || [ "$(info "$1" aof_rewrite_scheduled)" != 0 ]; do
        sleep 0.01
    done
    echo $(($(now_ms) - t0))
}

aof_file() { # name dir -> path of the (base) AOF
    if [ "$1" = inmemdb ]; then echo "$2/appendonly.aof"; else ls "$2"/appendonlydir/*.base.*; fi
}

set_rps() { # port -> requests/s of redis-benchmark SET
    redis-benchmark -p "$1" -t set -n 2000000 -r "$KEYS" -d 16 -c 50 -P 16 -q --csv 2>/dev/null |
        awk -F, '/"SET"/ {gsub(/"/, "", $2); printf "%d", $2}'
}

printf '# %s keys; %s; %s\n' "$KEYS" "$(redis-server --version | cut -d' ' -f3)" "$(nproc) cores"
printf '%-26s %12s %12s\n' metric inmemdb redis
declare -A R
for name in inmemdb redis; do
    port=$P_IMDB; [ "$name" = redis ] && port=$P_REDIS
    extra=(); [ "$name" = redis ] && extra=(--aof-use-rdb-preamble no)
    dir=$ROOT/$name/data
    start_server "$name" "$port" "$dir" "${extra[@]}"
    pid=$LAST_PID
    wait_pong "$port" >/dev/null
    t0=$(now_ms)
    redis-cli -p "$port" --pipe <"$ROOT/input.aof" >/dev/null
    R[$name,fill_ms]=$(($(now_ms) - t0))
    R[$name,rewrite_ms]=$(rewrite_once "$port")
    R[$name,rewrite_ms2]=$(rewrite_once "$port")
    R[$name,rewritten_mb]=$(du -m "$(aof_file "$name" "$dir")" | cut -f1)
    R[$name,set_alone]=$(set_rps "$port")
    # Back-to-back rewrites while the benchmark runs.
    (
        while [ ! -e "$ROOT/stop-$name" ]; do
            rewrite_once "$port" >>"$ROOT/rewrites-$name"
        done
    ) &
    loop=$!
    R[$name,set_rewrite]=$(set_rps "$port")
    touch "$ROOT/stop-$name"
    wait "$loop"
    R[$name,rewrites_during]=$(wc -l <"$ROOT/rewrites-$name")
    # Make the final file the rewritten dataset; keep it for the reloads.
    rewrite_once "$port" >/dev/null
    stop_server "$port" "$pid"
    mv "$dir" "$ROOT/own-$name"
done
# The same generated file for both, as an old-style single AOF (Redis 7
# upgrades it to its multi-part layout on load).
mkdir -p "$ROOT/input-dir"
cp "$ROOT/input.aof" "$ROOT/input-dir/appendonly.aof"
for round in 1 2 3; do
    for name in inmemdb redis; do
        port=$P_IMDB; [ "$name" = redis ] && port=$P_REDIS
        extra=(); [ "$name" = redis ] && extra=(--aof-use-rdb-preamble no)
        for what in input own; do
            src=$ROOT/input-dir; [ "$what" = own ] && src=$ROOT/own-$name
            rm -rf "$ROOT/load"; mkdir -p "$ROOT/load"; cp -r "$src" "$ROOT/load/data"
            t=$(load_ms "$name" "$port" "$ROOT/load/data" "${extra[@]}")
            if [ -z "${R[$name,load_$what]:-}" ] || [ "$t" -lt "${R[$name,load_$what]}" ]; then
                R[$name,load_$what]=$t
            fi
        done
    done
done
for name in inmemdb redis; do
    port=$P_IMDB; [ "$name" = redis ] && port=$P_REDIS
    extra=(); [ "$name" = redis ] && extra=(--aof-use-rdb-preamble no)
    rm -rf "$ROOT/load"; mkdir -p "$ROOT/load"; cp -r "$ROOT/own-$name" "$ROOT/load/data"
    start_server "$name" "$port" "$ROOT/load/data" "${extra[@]}"
    wait_pong "$port" >/dev/null
    R[$name,keys]=$(redis-cli -p "$port" dbsize)
    stop_server "$port" "$LAST_PID"
done
# Redis's default rewrite (RDB preamble), for reference.
dir=$ROOT/redis-preamble/data
start_server redis "$P_REDIS" "$dir"
pid=$LAST_PID
wait_pong "$P_REDIS" >/dev/null
redis-cli -p "$P_REDIS" --pipe <"$ROOT/input.aof" >/dev/null
pre_ms=$(rewrite_once "$P_REDIS")
pre_mb=$(du -m "$(aof_file redis "$dir")" | cut -f1)
stop_server "$P_REDIS" "$pid"
pre_load=$(load_ms redis "$P_REDIS" "$dir")

row() { printf '%-26s %12s %12s\n' "$1" "${R[inmemdb,$2]}" "${R[redis,$2]}"; }
row "fill via --pipe (ms)" fill_ms
row "BGREWRITEAOF (ms)" rewrite_ms
row "BGREWRITEAOF again (ms)" rewrite_ms2
row "rewritten file (MB)" rewritten_mb
row "SET/s, no rewrite" set_alone
row "SET/s, rewrites running" set_rewrite
row "rewrites during that run" rewrites_during
row "load generated AOF (ms)" load_input
row "load own rewritten (ms)" load_own
row "keys after reload" keys
printf 'redis with RDB preamble: rewrite %s ms, %s MB, load %s ms\n' "$pre_ms" "$pre_mb" "$pre_load"
