# shellcheck shell=bash
# Shared pieces of the benchmark scripts in bench/. Source it; it defines functions only.
#
#   ensure_wrk                        install wrk with apt-get unless it is on PATH
#   start_server NAME DIR CMD...      start CMD in its own process group; sets SERVER_PID
#   wait_for_url NAME DIR PID SECS    print the first http:// URL the server printed
#   stop_server NAME PID              SIGTERM its process group, SIGKILL after a grace
#   stop_all_servers                  stop every server still running (for an EXIT trap)
#   run_wrk URL OUT                   warm up, then the measured run into OUT
#   parse_wrk OUT                     print "requests/s p50_ms p99_ms errors"
#
# Knobs read by run_wrk: THREADS, CONNECTIONS, DURATION, WARMUP.

# Process ids of the servers started and not yet stopped.
BENCH_SERVERS=()

ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    echo "wrk not found; installing it with apt-get" >&2
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y wrk
    command -v wrk >/dev/null 2>&1 || { echo "wrk is still missing after apt-get install" >&2; return 1; }
}

# start_server NAME DIR CMD...: stdout goes to DIR/NAME.out (where the URL line is read
# from), stderr to DIR/NAME.log. setsid makes the server the leader of a new process
# group, so stop_server also reaches the workers it spawned.
start_server() {
    local name=$1 dir=$2
    shift 2
    setsid "$@" >"$dir/$name.out" 2>"$dir/$name.log" </dev/null &
    SERVER_PID=$!
    BENCH_SERVERS+=("$SERVER_PID")
}

# alive PID: true while PID runs. A child that exited stays a zombie until it is waited
# for, and `kill -0` succeeds on a zombie, so read its state instead.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# wait_for_url NAME DIR PID SECS: prints the URL once the server printed it; fails with
# the tail of its log if it exits or stays silent for SECS seconds.
wait_for_url() {
    local name=$1 dir=$2 pid=$3 secs=$4 url deadline
    deadline=$((SECONDS + secs))
    while ((SECONDS < deadline)); do
        # The URL may sit anywhere in the line; drop punctuation a log format may glue on.
        url=$(grep -o 'http://[^ ]*' "$dir/$name.out" 2>/dev/null | head -n 1 | sed 's/["'\'',;)]*$//') || true
        if [[ -n $url ]]; then
            echo "$url"
            return 0
        fi
        if ! alive "$pid"; then
            echo "$name exited before printing its URL; last lines of $dir/$name.log:" >&2
            tail -n 20 "$dir/$name.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$name printed no URL within ${secs}s; last lines of $dir/$name.log:" >&2
    tail -n 20 "$dir/$name.log" >&2
    return 1
}

# stop_server NAME PID: SIGTERM to the process group, SIGKILL after 10 s. Anything of the
# group still running 5 s after its leader exited was left behind: say so, then kill it.
stop_server() {
    local name=$1 pid=$2 i
    # The pid leads its own group unless setsid had to fork (only under job control).
    local group=$pid
    [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]] || group=
    kill -TERM -- "${group:+-}$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        echo "warning: $name ignored SIGTERM for 10s; killing it" >&2
        kill -KILL -- "${group:+-}$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # The rest of the group got the same SIGTERM; give it a moment to finish exiting.
    for ((i = 0; i < 50; i++)); do
        if [[ -z $group ]] || ! pgrep -g "$group" >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    if [[ -n $group ]] && pgrep -g "$group" >/dev/null 2>&1; then
        echo "warning: $name left processes running after it exited: $(pgrep -g "$group" | tr '\n' ' ')" >&2
        kill -KILL -- "-$group" 2>/dev/null || true
    fi
    local kept=() p
    for p in "${BENCH_SERVERS[@]}"; do
        [[ $p == "$pid" ]] || kept+=("$p")
    done
    BENCH_SERVERS=("${kept[@]}")
}

stop_all_servers() {
    local pid
    for pid in "${BENCH_SERVERS[@]}"; do
        stop_server "server $pid" "$pid"
    done
}

# run_wrk URL OUT: a warm-up run that is thrown away (connections opened, caches and
# workers warm), then the measured run with the latency distribution, saved to OUT.
run_wrk() {
    local url=$1 out=$2
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "$WARMUP" "$url" >/dev/null
    fi
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "$url" >"$out"
}

# parse_wrk OUT: "requests/s p50_ms p99_ms errors" where errors counts socket errors
# (connect, read, write, timeout) and non-2xx/3xx answers: a fast wrong answer must show.
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            if (v ~ /s$/) return v * 1000
            return v + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        /^ +50% / { p50 = ms($2) }
        /^ +99% / { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { for (i = 4; i <= NF; i += 2) errors += $i + 0 }
        END {
            if (rps == "") { print "wrk output has no Requests/sec line" > "/dev/stderr"; exit 1 }
            printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errors
        }
    ' "$1"
}
