#!/usr/bin/env bash
# InMemDB vs redis-server, side by side on this machine, with redis-benchmark.
#
#   benches/vs-redis.sh [-r ROUNDS] [-s SCALE] [-o OUT.md] [--no-aof] [--no-memory] [--taskset]
#
# What it does (issue 7):
#   1. builds the release binary; installs redis-server/redis-tools with apt-get if missing;
#   2. for each persistence mode (none, then appendonly everysec) starts both servers with the
#      same settings on spare ports and runs redis-benchmark against each, alternating the
#      order (A,B then B,A) between rounds: SET/GET/HSET/MSET(10 keys) with 16 B and 1 KB
#      values, INCR and PING (value size irrelevant), 50 clients, -r 100000, -P 1 and -P 16,
#      one redis-benchmark run per workload. GET runs on a preloaded keyspace (every key of
#      the -r range holds a value of the row's size) so both servers answer hits;
#   3. records ops/s, p50/p99 (redis-benchmark --csv) and server CPU µs/op (utime+stime from
#      /proc/PID/stat over the run divided by requests), and prints medians over the rounds
#      with InMemDB/Redis ratios;
#   4. memory: loads 1,000,000 string keys (12-byte keys, 16-byte values) and, into fresh
#      servers, 100,000 hashes of 10 small fields; once used_memory is steady (a table resize
#      finishing in the background), prints RSS and used_memory per key;
#   5. AOF (appendonly everysec): time to reload an AOF of 1,000,000 SETs at startup, and
#      time of BGREWRITEAOF over those keys.
# The markdown report is printed and written to OUT (default target/vs-redis.md).
#
# Knobs (flags or environment): ROUNDS (default 3), SCALE (multiplies request counts,
# default 1; 0.2 for a smoke run), PORT_A/PORT_B (InMemDB/Redis, default 17701/17702),
# TASKSET=1 pins each server to CPU 0 and redis-benchmark to CPU 1 (off by default: on a
# busy 2-core machine pinning made figures less steady). With the defaults a full run takes
# about 10 minutes on 2 cores.
# During throughput runs automatic AOF rewrites are off on both servers
# (auto-aof-rewrite-percentage 0) so a background fork does not land in a random row; the
# rewrite is measured on its own in step 5.

set -euo pipefail

ROUNDS=${ROUNDS:-3}
SCALE=${SCALE:-1}
OUT=${OUT:-}
PORT_A=${PORT_A:-17701}
PORT_B=${PORT_B:-17702}
TASKSET=${TASKSET:-0}
DO_AOF=1
DO_MEMORY=1
MODES_ONLY=${MODES_ONLY:-}

while [ $# -gt 0 ]; do
    case "$1" in
        -r|--rounds) ROUNDS=$2; shift 2 ;;
        -s|--scale) SCALE=$2; shift 2 ;;
        -o|--out) OUT=$2; shift 2 ;;
        --no-aof) DO_AOF=0; shift ;;
        --no-memory) DO_MEMORY=0; shift ;;
        --taskset) TASKSET=1; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/target/vs-redis.md}
CLIENTS=50
KEYSPACE=100000
TCK=$(getconf CLK_TCK)

log() { printf '[vs-redis %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null \
    || ! command -v redis-cli >/dev/null; then
    log "installing redis-server and redis-tools"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
# Debian starts a system redis-server on 6379 after installing it; we never use that one.

log "building release binary"
cargo build --release --quiet --bin inmemdb
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
INMEMDB=${INMEMDB:-$TARGET_DIR/release/inmemdb}
[ -x "$INMEMDB" ] || die "no binary at $INMEMDB"
mkdir -p "$(dirname "$OUT")"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vs-redis.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

for port in "$PORT_A" "$PORT_B"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is in use; set PORT_A/PORT_B"
    fi
done

pin_server() { if [ "$TASKSET" = 1 ]; then echo "taskset -c 0"; fi; }
pin_client() { if [ "$TASKSET" = 1 ]; then echo "taskset -c 1"; fi; }

# ---------------------------------------------------------------- servers

# start_server a|b MODE DIRNAME: starts InMemDB (a) or Redis (b); sets SPID and SPORT.
start_server() {
    local which=$1 mode=$2 dir=$WORK/$3
    rm -rf "$dir"
    mkdir -p "$dir"
    local common=(--bind 127.0.0.1 --save '' --dir "$dir" --logfile "$dir/log"
        --auto-aof-rewrite-percentage 0)
    if [ "$mode" = aof ]; then
        common+=(--appendonly yes --appendfsync everysec)
    else
        common+=(--appendonly no)
    fi
    if [ "$which" = a ]; then
        SPORT=$PORT_A
        # shellcheck disable=SC2046
        $(pin_server) "$INMEMDB" --port "$SPORT" "${common[@]}" >/dev/null 2>&1 &
    else
        SPORT=$PORT_B
        # shellcheck disable=SC2046
        $(pin_server) redis-server --port "$SPORT" "${common[@]}" --daemonize no \
            >/dev/null 2>&1 &
    fi
    SPID=$!
    PIDS+=("$SPID")
    wait_ready "$SPORT" 30 || die "$which server did not start (log: $(tail -3 "$dir/log" 2>/dev/null))"
}

# wait_ready PORT SECONDS: poll PING until PONG (also waits out -LOADING).
wait_ready() {
    local port=$1 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
            return 0
        fi
        sleep 0.01
    done
    return 1
}

stop_server() {
    local pid=$1 port=$2 i
    redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
    for i in $(seq 1 500); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Process CPU time (utime+stime of all threads) in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
used_memory() {
    redis-cli -p "$1" info memory 2>/dev/null | tr -d '\r' \
        | awk -F: '$1 == "used_memory" { print $2 }'
}

# ---------------------------------------------------------------- data files

# SET key:%012d (redis-benchmark's __rand_int__ form) for the whole -r range.
gen_preload() {
    local size=$1 f=$WORK/preload-$1.resp
    [ -f "$f" ] && return
    awk -v n=$KEYSPACE -v size="$size" 'BEGIN {
        v = ""; while (length(v) < size) v = v "x"; v = substr(v, 1, size)
        for (i = 0; i < n; i++)
            printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", i, size, v
    }' >"$f"
}

# load PORT FILE: pipe a RESP file in; fails if any command errored.
load() {
    local out
    out=$(redis-cli -p "$1" --pipe <"$2" 2>&1) || { log "load failed: $out"; return 1; }
    case "$out" in
        *"errors: 0,"*) return 0 ;;
        *) log "load into port $1 had errors: $(echo "$out" | tail -2 | tr '\n' ' ')"; return 1 ;;
    esac
}

# ---------------------------------------------------------------- throughput

# Workloads: "redis-benchmark test:value size:base requests at P1:base requests at P16".
# INCR and PING ignore the value size. Counts aim at ~1 s per run.
WORKLOADS=(
    "set:16:100000:1000000"
    "get:16:100000:1000000"
    "set:1024:100000:400000"
    "get:1024:100000:400000"
    "incr:-:100000:1000000"
    "hset:16:100000:1000000"
    "hset:1024:100000:400000"
    "mset:16:60000:250000"
    "mset:1024:30000:60000"
    "ping_mbulk:-:100000:1000000"
)

RAW=$WORK/raw.tsv
: >"$RAW"

# bench_one SERVER PID PORT MODE ROUND TEST SIZE P N: one redis-benchmark run, one raw row.
bench_one() {
    local srv=$1 pid=$2 port=$3 mode=$4 round=$5 test=$6 size=$7 p=$8 n=$9
    local d=$size t0 t1 line
    [ "$d" = - ] && d=3
    if [ "$test" = get ]; then
        gen_preload "$size"
        load "$port" "$WORK/preload-$size.resp" || true
    fi
    t0=$(cpu_ticks "$pid")
    # shellcheck disable=SC2046
    line=$($(pin_client) redis-benchmark -h 127.0.0.1 -p "$port" -c $CLIENTS -r $KEYSPACE \
        -n "$n" -d "$d" -P "$p" -t "$test" --csv 2>/dev/null | tail -1 || true)
    t1=$(cpu_ticks "$pid")
    # "SET","rps","avg","min","p50","p95","p99","max"
    echo "$line" | tr -d '"' | awk -F, -v srv="$srv" -v mode="$mode" -v r="$round" \
        -v test="$test" -v size="$size" -v p="$p" -v n="$n" -v dt=$((t1 - t0)) -v tck="$TCK" '
        NF >= 7 && $2 + 0 > 0 {
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\n", mode, test, size, p, srv, r,
                $2, $5, $7, dt * 1e6 / tck / n
        }' >>"$RAW"
    if ! echo "$line" | grep -q '^"'; then
        log "  $srv $test size=$size P$p: no result (unsupported command?)"
    fi
}

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1000) v = 1000; print v }'; }

run_mode() {
    local mode=$1 r w test size n1 n16 p n order
    start_server a "$mode" "a-$mode"
    local pa=$SPID
    start_server b "$mode" "b-$mode"
    local pb=$SPID
    for r in $(seq 1 "$ROUNDS"); do
        log "mode=$mode round $r/$ROUNDS"
        for p in 1 16; do
            for w in "${WORKLOADS[@]}"; do
                IFS=: read -r test size n1 n16 <<<"$w"
                if [ "$p" = 1 ]; then n=$(scaled "$n1"); else n=$(scaled "$n16"); fi
                if [ $((r % 2)) = 1 ]; then order="a b"; else order="b a"; fi
                for s in $order; do
                    if [ "$s" = a ]; then
                        bench_one inmemdb "$pa" "$PORT_A" "$mode" "$r" "$test" "$size" "$p" "$n"
                    else
                        bench_one redis "$pb" "$PORT_B" "$mode" "$r" "$test" "$size" "$p" "$n"
                    fi
                done
            done
        done
    done
    stop_server "$pa" "$PORT_A"
    stop_server "$pb" "$PORT_B"
}

# ---------------------------------------------------------------- memory and AOF

MEM=$WORK/mem.tsv
: >"$MEM"

gen_strings() {
    [ -f "$WORK/strings.resp" ] && return
    awk 'BEGIN { for (i = 0; i < 1000000; i++)
        printf "*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$16\r\nval:%012d\r\n", i, i }' \
        >"$WORK/strings.resp"
}

gen_hashes() {
    [ -f "$WORK/hashes.resp" ] && return
    awk 'BEGIN { for (i = 0; i < 100000; i++) {
        printf "*22\r\n$4\r\nHSET\r\n$12\r\nhash:%07d\r\n", i
        for (f = 0; f < 10; f++) printf "$7\r\nfield:%d\r\n$8\r\nvalue:%02d\r\n", f, f
    } }' >"$WORK/hashes.resp"
}

# settle PORT: wait (up to 15 s) until used_memory has not changed for 3 s. A table that
# crossed a growth point during the load is still moving keys into its new index in the
# background (InMemDB's keyspace::table, as Redis's dict rehash) with both indexes allocated;
# the old one is freed at the end, so used_memory stays flat during the move and then drops.
# The figure wanted is the steady state after it, for both servers alike.
settle() {
    local prev="" cur same=0 i
    for i in $(seq 30); do
        cur=$(used_memory "$1")
        if [ -n "$cur" ] && [ "$cur" = "$prev" ]; then
            same=$((same + 1))
            [ "$same" -ge 6 ] && return 0
        else
            same=0
        fi
        prev=$cur
        sleep 0.5
    done
}

# mem_one SERVER a|b FILE KEYS LABEL: fresh server, load, record RSS and used_memory per key.
mem_one() {
    local srv=$1 which=$2 file=$3 keys=$4 label=$5
    start_server "$which" none "mem-$which"
    local pid=$SPID port=$SPORT rss0 um0 rss1 um1
    rss0=$(rss_bytes "$pid")
    um0=$(used_memory "$port")
    if load "$port" "$file"; then
        settle "$port"
        rss1=$(rss_bytes "$pid")
        um1=$(used_memory "$port")
        awk -v l="$label" -v s="$srv" -v k="$keys" -v r0="$rss0" -v r1="$rss1" \
            -v u0="${um0:-}" -v u1="${um1:-}" 'BEGIN {
            um = (u0 != "" && u1 != "") ? sprintf("%.1f", (u1 - u0) / k) : "n/a"
            printf "mem\t%s\t%s\t%.1f\t%s\t%.1f\n", l, s, (r1 - r0) / k, um, r1 / 1048576
        }' >>"$MEM"
    else
        printf 'mem\t%s\t%s\tn/a\tn/a\tn/a\n' "$label" "$srv" >>"$MEM"
    fi
    stop_server "$pid" "$port"
}

now_ms() { date +%s%3N; }

# aof_one SERVER a|b: appendonly everysec; load 1M SETs, restart and time the reload,
# then time BGREWRITEAOF.
aof_one() {
    local srv=$1 which=$2 dir=aof-$2
    start_server "$which" aof "$dir"
    local pid=$SPID port=$SPORT t0 t1 load_ms rw_ms
    if ! load "$port" "$WORK/strings.resp"; then
        printf 'aof\t%s\tn/a\tn/a\n' "$srv" >>"$MEM"
        stop_server "$pid" "$port"
        return
    fi
    stop_server "$pid" "$port"
    # Restart on the same dir (start_server would wipe it).
    local d=$WORK/$dir
    t0=$(now_ms)
    if [ "$which" = a ]; then
        # shellcheck disable=SC2046
        $(pin_server) "$INMEMDB" --port "$port" --bind 127.0.0.1 --save '' --dir "$d" \
            --logfile "$d/log" --appendonly yes --appendfsync everysec \
            --auto-aof-rewrite-percentage 0 >/dev/null 2>&1 &
    else
        # shellcheck disable=SC2046
        $(pin_server) redis-server --port "$port" --bind 127.0.0.1 --save '' --dir "$d" \
            --logfile "$d/log" --appendonly yes --appendfsync everysec \
            --auto-aof-rewrite-percentage 0 --daemonize no >/dev/null 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    wait_ready "$port" 120 || die "$srv did not come back after AOF reload"
    t1=$(now_ms)
    load_ms=$((t1 - t0))
    local dbsize
    dbsize=$(redis-cli -p "$port" dbsize)
    [ "$dbsize" = 1000000 ] || log "  $srv reloaded $dbsize keys, expected 1000000"
    t0=$(now_ms)
    redis-cli -p "$port" bgrewriteaof >/dev/null
    local deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        local info
        info=$(redis-cli -p "$port" info persistence | tr -d '\r')
        if echo "$info" | grep -q '^aof_rewrite_in_progress:0' \
            && echo "$info" | grep -q '^aof_rewrite_scheduled:0'; then
            break
        fi
        sleep 0.01
    done
    t1=$(now_ms)
    rw_ms=$((t1 - t0))
    printf 'aof\t%s\t%s\t%s\n' "$srv" "$load_ms" "$rw_ms" >>"$MEM"
    stop_server "$pid" "$port"
}

# ---------------------------------------------------------------- report

median_table() {
    # Group rows by (mode, test, size, p, server), take medians of ops/s, p50, p99, CPU.
    awk -F'\t' '
        function median(s,   a, n, i, j, t) {
            n = split(s, a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        {
            k = $1 "\t" $2 "\t" $3 "\t" $4
            if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
            ops[k, $5] = ops[k, $5] " " $7; p50[k, $5] = p50[k, $5] " " $8
            p99[k, $5] = p99[k, $5] " " $9; cpu[k, $5] = cpu[k, $5] " " $10
        }
        function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
        function m(arr, k, s) { return ((k, s) in arr) ? median(arr[k, s]) : "" }
        function fmt(v, f) { return v == "" ? "n/a" : sprintf(f, v) }
        END {
            print "| AOF | command | value | P | InMemDB ops/s | Redis ops/s | ratio | InMemDB p50/p99 ms | Redis p50/p99 ms | p99 ratio | InMemDB µs/op | Redis µs/op | CPU ratio |"
            print "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= nk; i++) {
                k = order[i]; split(k, f, "\t")
                oa = m(ops, k, "inmemdb"); ob = m(ops, k, "redis")
                la = m(p50, k, "inmemdb"); lb = m(p50, k, "redis")
                qa = m(p99, k, "inmemdb"); qb = m(p99, k, "redis")
                ca = m(cpu, k, "inmemdb"); cb = m(cpu, k, "redis")
                name = toupper(f[2]); if (name == "PING_MBULK") name = "PING"
                if (name == "MSET") name = "MSET (10 keys)"
                size = f[3] == "-" ? "-" : (f[3] == 1024 ? "1 KB" : f[3] " B")
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                    f[1] == "aof" ? "everysec" : "no", name, size, f[4],
                    fmt(oa, "%.0f"), fmt(ob, "%.0f"), ratio(oa, ob),
                    (la == "" ? "n/a" : sprintf("%.3f / %.3f", la, qa)),
                    (lb == "" ? "n/a" : sprintf("%.3f / %.3f", lb, qb)),
                    ratio(qa, qb), fmt(ca, "%.2f"), fmt(cb, "%.2f"), ratio(ca, cb)
            }
        }' "$RAW"
}

mem_table() {
    awk -F'\t' '
        $1 == "mem" { rss[$2, $3] = $4; um[$2, $3] = $5; tot[$2, $3] = $6; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
        $1 == "aof" { load[$2] = $3; rw[$2] = $4; aof = 1 }
        function ratio(a, b) { return (a == "n/a" || b == "n/a" || a == "" || b == "" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
        function v(x) { return x == "" ? "n/a" : x }
        END {
            if (n) {
                print "| dataset | InMemDB RSS B/key | Redis RSS B/key | ratio | InMemDB used_memory B/key | Redis used_memory B/key | ratio |"
                print "|---|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= n; i++) {
                    l = order[i]
                    printf "| %s | %s | %s | %s | %s | %s | %s |\n", l, v(rss[l, "inmemdb"]), v(rss[l, "redis"]),
                        ratio(rss[l, "inmemdb"], rss[l, "redis"]), v(um[l, "inmemdb"]), v(um[l, "redis"]),
                        ratio(um[l, "inmemdb"], um[l, "redis"])
                }
            }
            if (aof) {
                print ""
                print "| AOF, 1,000,000 SETs | InMemDB | Redis | ratio |"
                print "|---|---:|---:|---:|"
                la = v(load["inmemdb"]); lb = v(load["redis"])
                printf "| startup with AOF reload, ms | %s | %s | %s |\n", la, lb, ratio(la, lb)
                printf "| reload rate, commands/s | %s | %s | %s |\n",
                    (la == "n/a" || la == 0) ? "n/a" : sprintf("%.0f", 1e9 / la),
                    (lb == "n/a" || lb == 0) ? "n/a" : sprintf("%.0f", 1e9 / lb), ratio(lb, la)
                printf "| BGREWRITEAOF, ms | %s | %s | %s |\n", v(rw["inmemdb"]), v(rw["redis"]),
                    ratio(rw["inmemdb"], rw["redis"])
            }
        }' "$MEM"
}

# ---------------------------------------------------------------- main

START=$SECONDS
MODES="none aof"
[ "$DO_AOF" = 1 ] || MODES="none"
[ -n "$MODES_ONLY" ] && MODES=$MODES_ONLY
for mode in $MODES; do
    run_mode "$mode"
done

if [ "$DO_MEMORY" = 1 ]; then
    log "memory: 1M string keys"
    gen_strings
    mem_one inmemdb a "$WORK/strings.resp" 1000000 "1M strings (12 B key, 16 B value)"
    mem_one redis b "$WORK/strings.resp" 1000000 "1M strings (12 B key, 16 B value)"
    log "memory: 100k hashes of 10 fields"
    gen_hashes
    mem_one inmemdb a "$WORK/hashes.resp" 100000 "100k hashes × 10 fields"
    mem_one redis b "$WORK/hashes.resp" 100000 "100k hashes × 10 fields"
    if [ "$DO_AOF" = 1 ]; then
        log "AOF: reload and rewrite of 1M keys"
        aof_one inmemdb a
        aof_one redis b
    fi
fi

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+dirty" || true)
CPU=$(awk -F: '/^model name/ { sub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo)
{
    echo "### InMemDB vs Redis — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) × ${CPU:-unknown CPU}, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
    echo "- InMemDB $COMMIT$DIRTY ($("$INMEMDB" --version 2>/dev/null | head -1)), $(rustc --version 2>/dev/null)"
    echo "- $(redis-server --version | sed 's/ sha=.*malloc=/, malloc=/; s/ bits=.*//'), redis-benchmark $(redis-benchmark --version 2>/dev/null | awk '{ print $2 }')"
    echo "- redis-benchmark -c $CLIENTS -r $KEYSPACE, one run per row; medians of $ROUNDS rounds (order A,B / B,A alternating); request scale $SCALE; taskset: $([ "$TASKSET" = 1 ] && echo on || echo off)"
    echo "- CPU µs/op: server utime+stime over the run / requests (an MSET request is one op)"
    echo
    median_table
    if [ -s "$MEM" ]; then
        echo
        mem_table
    fi
    echo
    echo "_Run time: $((SECONDS - START)) s._"
} >"$OUT"
cat "$OUT"
log "report written to $OUT"
