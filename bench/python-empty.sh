#!/usr/bin/env bash
# Measures ferrite serving an empty Python function against a bare hyper "hello" server,
# in one run with the same wrk settings, and prints a markdown table of requests/s,
# p50/p99 latency and the ratio of each target to the baseline. See bench/README.md.
#
# Knobs (environment):
#   CONNECTIONS=64      wrk connections
#   THREADS=1           wrk threads (wrk shares the machine's 2 cores with the server)
#   DURATION=10s        measured run per target
#   WARMUP=3s           unmeasured run per target before it (0 to skip)
#   ROUNDS=3            rounds of every target, interleaved; the table shows medians
#   READY_TIMEOUT=60    seconds to wait for a server to print its URL
#   TARGETS="baseline ferrite-1w ferrite-2w"   which targets to run, in this order (also
#                       ferrite-node-1w: an empty Node.js handler, bench/functions/node-empty;
#                       ferrite-java-1w: an empty Java handler, bench/functions/java-empty;
#                       ferrite-dotnet-1w: an empty C# handler, bench/functions/dotnet-empty)
#   BUILD=1             0 to use the binaries already in target/release
#   OUT=                also write the table to this file
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
ROUNDS=${ROUNDS:-3}
READY_TIMEOUT=${READY_TIMEOUT:-60}
TARGETS=${TARGETS:-baseline ferrite-1w ferrite-2w}
BUILD=${BUILD:-1}
OUT=${OUT:-}
BIN=${CARGO_TARGET_DIR:-target}/release
FUNCTION=bench/functions/python-empty

# target_command TARGET: sets COMMAND to the target's command line.
target_command() {
    case $1 in
        baseline) COMMAND=("$BIN/ferrite-baseline" --port 0) ;;
        ferrite-1w) COMMAND=("$BIN/ferrite" run "$FUNCTION" --port 0 --workers 1 --codec msgpack --transport unix) ;;
        ferrite-2w) COMMAND=("$BIN/ferrite" run "$FUNCTION" --port 0 --workers 2 --codec msgpack --transport unix) ;;
        ferrite-node-1w) COMMAND=("$BIN/ferrite" run bench/functions/node-empty --port 0 --workers 1 --codec msgpack --transport unix) ;;
        ferrite-java-1w) COMMAND=("$BIN/ferrite" run bench/functions/java-empty --port 0 --workers 1 --codec msgpack --transport unix) ;;
        ferrite-dotnet-1w) COMMAND=("$BIN/ferrite" run bench/functions/dotnet-empty --port 0 --workers 1 --codec msgpack --transport unix) ;;
        ferrite-shell-cat) COMMAND=("$BIN/ferrite" run bench/functions/shell-cat --port 0 --workers 2) ;;
        ferrite-pypy-1w) COMMAND=("$BIN/ferrite" run "$FUNCTION" --runtime pypy --port 0 --workers 1 --codec msgpack --transport unix) ;;
        ferrite-pypy-json-1w) COMMAND=("$BIN/ferrite" run "$FUNCTION" --runtime pypy --port 0 --workers 1 --codec json --transport unix) ;;
        *)
            echo "unknown target $1 (known: baseline ferrite-1w ferrite-2w ferrite-node-1w ferrite-java-1w ferrite-dotnet-1w ferrite-pypy-1w ferrite-pypy-json-1w ferrite-shell-cat)" >&2
            return 1
            ;;
    esac
}

for target in $TARGETS; do target_command "$target"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrite-bench.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    stop_all_servers
    if ((status == 0)); then
        rm -rf "$WORK"
    else
        echo "logs and wrk output kept in $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $BUILD != 0 ]]; then
    packages=(-p ferrite-baseline)
    [[ " $TARGETS " == *" ferrite-"* ]] && packages+=(-p ferrite)
    cargo build --release "${packages[@]}"
fi
ensure_wrk

echo "# python-empty: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "wrk -t $THREADS -c $CONNECTIONS -d $DURATION (warm-up $WARMUP)" >&2

declare -A rps p50 p99 errors runs ratios
for ((round = 1; round <= ROUNDS; round++)); do
    for target in $TARGETS; do
        target_command "$target"
        echo "## round $round/$ROUNDS, $target: ${COMMAND[*]}" >&2
        start_server "$target" "$WORK" "${COMMAND[@]}"
        pid=$SERVER_PID
        url=$(wait_for_url "$target" "$WORK" "$pid" "$READY_TIMEOUT")
        run_wrk "$url" "$WORK/$target.$round.wrk"
        stop_server "$target" "$pid"
        read -r r l50 l99 e <<<"$(parse_wrk "$WORK/$target.$round.wrk")"
        runs[$target]+="$r $l50 $l99 $e"$'\n'
        echo "   $r requests/s, p50 $l50 ms, p99 $l99 ms, $e errors" >&2
    done
done

# median COLUMN TARGET: the median over rounds of one column of the target's runs.
median() {
    printf '%s' "${runs[$2]}" | awk -v c="$1" 'NF { print $c }' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for target in $TARGETS; do
    rps[$target]=$(median 1 "$target" | awk '{ printf "%d", $1 }')
    p50[$target]=$(median 2 "$target")
    p99[$target]=$(median 3 "$target")
    errors[$target]=$(printf '%s' "${runs[$target]}" | awk 'NF { s += $4 } END { print s + 0 }')
done

# Each round's ratio is taken against the baseline of the same round, then the median of
# those: a neighbour's burst of load then spoils one round, not the result.
if [[ -n ${runs[baseline]:-} ]]; then
    for target in $TARGETS; do
        ratios[$target]=$(paste <(printf '%s' "${runs[$target]}" | awk 'NF { print $1 }') \
            <(printf '%s' "${runs[baseline]}" | awk 'NF { print $1 }') |
            awk '$2 > 0 { print $1 / $2 }' | sort -g |
            awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    done
fi

# ratio TARGET: the median of its per-round ratios to the baseline, or n/a without one.
ratio() {
    echo "${ratios[$1]:-n/a}"
}

table() {
    echo "Medians of $ROUNDS interleaved rounds; wrk -t $THREADS -c $CONNECTIONS -d $DURATION on $(nproc) cores."
    echo
    echo "| target | requests/s | p50 (ms) | p99 (ms) | errors | ratio to baseline |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for target in $TARGETS; do
        echo "| $target | ${rps[$target]} | ${p50[$target]} | ${p99[$target]} | ${errors[$target]} | $(ratio "$target") |"
    done
    if [[ -n ${rps[ferrite-1w]:-} && -n ${rps[baseline]:-} ]]; then
        echo
        echo "**ferrite, 1 Python worker: $(ratio ferrite-1w) × baseline**" \
            "(${rps[ferrite-1w]} vs ${rps[baseline]} requests/s)"
    fi
    if [[ -n ${rps[ferrite-node-1w]:-} && -n ${rps[baseline]:-} ]]; then
        echo
        echo "**ferrite, 1 Node.js worker: $(ratio ferrite-node-1w) × baseline**" \
            "(${rps[ferrite-node-1w]} vs ${rps[baseline]} requests/s)"
    fi
    if [[ -n ${rps[ferrite-java-1w]:-} && -n ${rps[baseline]:-} ]]; then
        echo
        echo "**ferrite, 1 Java worker: $(ratio ferrite-java-1w) × baseline**" \
            "(${rps[ferrite-java-1w]} vs ${rps[baseline]} requests/s)"
    fi
    if [[ -n ${rps[ferrite-dotnet-1w]:-} && -n ${rps[baseline]:-} ]]; then
        echo
        echo "**ferrite, 1 .NET worker: $(ratio ferrite-dotnet-1w) × baseline**" \
            "(${rps[ferrite-dotnet-1w]} vs ${rps[baseline]} requests/s)"
    fi
}

echo
table
[[ -z $OUT ]] || table >"$OUT"

failed=0
for target in $TARGETS; do
    if ((errors[$target] > 0)); then
        echo "warning: $target had ${errors[$target]} errors; see $WORK/$target.*.wrk" >&2
        failed=1
    fi
done
exit "$failed"
