#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the
# other, and prints a summary table. Exits non-zero if any target crashed
# (or failed to build or run).
#
#   bash fuzz/run.sh [--keep-going] SECONDS [TARGET...]
#
# --keep-going: libFuzzer's fork mode (-fork=1 -ignore_crashes=1): a crash is
# recorded and fuzzing goes on for the full time (still a non-zero exit).
#
# Works from any directory. Uses the nightly toolchain when rustup has one,
# else (or with FUZZ_TOOLCHAIN=stable) the stable one with RUSTC_BOOTSTRAP=1;
# installs cargo-fuzz if missing.
# The seed corpora in fuzz/corpus/<target>/ are only read: new inputs go to
# fuzz/target/corpus/<target>/ (kept between runs, ignored by git), crash
# inputs to fuzz/artifacts/<target>/, full libFuzzer logs to
# fuzz/target/logs/<target>.log.
set -uo pipefail

usage() { echo "usage: bash fuzz/run.sh [--keep-going] SECONDS [TARGET...]" >&2; exit 2; }
keep_going=0
if [[ ${1:-} == --keep-going ]]; then
    keep_going=1
    shift
fi
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
seconds=$1
shift

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$fuzz_dir" || exit 2

all_targets=(jwt_verify jwt_forgery jwt_keys token_response error_response form_roundtrip basic_roundtrip redactor store_file)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
# The dictionary helps where the input is JWT or JSON text.
declare -A uses_dict=([jwt_verify]=1 [jwt_forgery]=1 [jwt_keys]=1 [token_response]=1 [error_response]=1)

# Toolchain: nightly if there is one, else stable pretending to be nightly.
cargo=(cargo)
if [[ ${FUZZ_TOOLCHAIN:-} != stable ]] && rustup run nightly rustc --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
    toolchain="nightly ($(rustup run nightly rustc --version))"
else
    export RUSTC_BOOTSTRAP=1
    # cargo caches whether rustc is a nightly; the cache would be stale.
    rm -f "$(cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/.rustc_info.json"
    toolchain="stable with RUSTC_BOOTSTRAP=1 ($(rustc --version))"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked || { echo "cannot install cargo-fuzz" >&2; exit 2; }
fi

# -a: debug assertions and overflow checks on, in the optimised build.
build_flags=(-a)
echo "== toolchain: $toolchain; $(cargo fuzz --version)"
echo "== building the fuzz targets"
mkdir -p "$fuzz_dir/target/logs"
if ! "${cargo[@]}" fuzz build "${build_flags[@]}" >"$fuzz_dir/target/logs/build.log" 2>&1; then
    tail -n 40 "$fuzz_dir/target/logs/build.log"
    echo "the fuzz targets failed to build" >&2
    exit 2
fi
rows=()
failed=0
for t in "${targets[@]}"; do
    if [[ ! -d $fuzz_dir/corpus/$t ]]; then
        echo "unknown target: $t (known: ${all_targets[*]})" >&2
        failed=1
        continue
    fi
    work="$fuzz_dir/target/corpus/$t"
    mkdir -p "$work" "$fuzz_dir/artifacts/$t"
    log="$fuzz_dir/target/logs/$t.log"
    rm -f "$log.replay"
    args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
    [[ -n ${uses_dict[$t]:-} ]] && args+=(-dict="$fuzz_dir/jwt.dict")
    [[ $keep_going -eq 1 ]] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    before=$(find "$fuzz_dir/artifacts/$t" -type f | sort)
    echo "== $t: ${seconds}s (log: $log)"
    start=$(date +%s)
    replay_rc=0
    if [[ $keep_going -eq 1 ]]; then
        # Fork mode silently skips corpus inputs that crash: replay the corpus
        # once in-process first, so a known crash is still reported.
        "${cargo[@]}" fuzz run "${build_flags[@]}" "$t" "$work" "$fuzz_dir/corpus/$t" -- -runs=0 \
            >"$log.replay" 2>&1
        replay_rc=$?
        if [[ $replay_rc -ne 0 ]]; then
            echo "---- $t: an input of the corpus crashes:"
            grep -E "panicked at|Test unit written to" "$log.replay" | head -n 5
        fi
    fi
    # First corpus directory: where new inputs are written; second: the seeds.
    "${cargo[@]}" fuzz run "${build_flags[@]}" "$t" "$work" "$fuzz_dir/corpus/$t" -- "${args[@]}" \
        >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    fuzzed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [[ $keep_going -eq 1 ]]; then
        # Fork mode reports "#RUNS: cov: .. exec/s: N .. time: Ss" lines.
        last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
        execs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' <<<"$last")
        rate=$(sed -n 's/.* exec\/s: \([0-9]*\) .*/\1/p' <<<"$last")
        fuzzed=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$last")
    fi
    new_crashes=$(comm -13 <(echo "$before") <(find "$fuzz_dir/artifacts/$t" -type f | sort) | grep -c . || true)
    [[ $new_crashes -gt 0 && $rc -eq 0 ]] && rc=1
    [[ $replay_rc -ne 0 && $rc -eq 0 ]] && rc=1
    corpus=$(find "$work" -type f | wc -l)
    if [[ $rc -eq 0 ]]; then
        result=ok
    else
        panics=$(cat "$log" "$log.replay" 2>/dev/null | grep -o 'panicked at [^ ]*' | sort -u | sed 's/panicked at //' | paste -sd, -)
        result="CRASH: ${new_crashes} input(s) in fuzz/artifacts/$t/${panics:+ (panicked at $panics)}"
        failed=1
        echo "---- $t failed; the end of its log:"
        grep -E "panicked at|ERROR: |SUMMARY: |Test unit written to|Failing input" "$log" | head -n 20
        tail -n 30 "$log"
        echo "----"
    fi
    echo "   $t: ${execs:-?} executions in ${fuzzed:-?}s of fuzzing (${elapsed}s wall), ${rate:-?} exec/s, $result"
    rows+=("$(printf '%-16s %8s %6s %14s %9s %8s  %s' "$t" "${fuzzed:-?}" "$elapsed" "${execs:-?}" "${rate:-?}" "$corpus" "$result")")
done

echo
echo "== summary (fuzz/run.sh $seconds, $toolchain)"
printf '%-16s %8s %6s %14s %9s %8s  %s\n' target seconds wall executions exec/s corpus result
for r in "${rows[@]}"; do echo "$r"; done
if [[ $failed -ne 0 ]]; then
    echo "FAILED: see the logs above and fuzz/artifacts/" >&2
    exit 1
fi
echo "all targets ran without a crash"
