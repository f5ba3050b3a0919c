#!/usr/bin/env bash
# The test suite on a device target, under qemu-user (scripts/cross.sh sets
# cargo's runner), and the command line's demo:
#
#   bash scripts/cross-test.sh aarch64-unknown-linux-musl
#   bash scripts/cross-test.sh thumbv7neon-unknown-linux-gnueabihf demo   # the demo only
#
# What runs: the library's unit tests, the binary's, the doctests and the
# integration-test binary (tests/integration), except the tests that start a
# program of the target themselves — the `ropc` binary (CARGO_BIN_EXE_ropc),
# or the test binary again as a second process. Cargo starts each test
# binary under qemu, but a process the emulated test starts is started by
# the kernel, which cannot run an ARM executable on x86-64 without
# binfmt_misc handlers; registering those changes the whole machine, so CI
# does not. Those tests run natively in CI's x86-64 steps; here, `ropc demo`
# runs the command line under the emulator instead. The skips are exact:
# the integration tests are listed first (under the emulator), a module
# below stands for every test it has, and a test named below that the
# binary does not have is an error (renamed, it would no longer be skipped
# and fail with "Exec format error"; so does a new test that starts a target
# program, which belongs in these lists).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/cross-test.sh TARGET [demo]}
only=${2:-all}
case $only in all | demo) ;; *) echo "usage: scripts/cross-test.sh TARGET [demo]" >&2; exit 2 ;; esac

# Modules of the integration-test binary that are all about the `ropc`
# binary: all their tests are skipped.
cli_modules=(cli cli_any_provider cli_devices cli_revocation session::cli)
# Tests elsewhere that start the `ropc` binary or another process of the
# target, by their full names in the binary (module path and name).
spawning=(
    # two tests that race processes on one store
    session::concurrency::a_writer_killed_at_random_points_leaves_the_old_or_the_new_file
    session::concurrency::two_processes_near_expiry_send_one_refresh
    # the lock across processes
    store::three_processes_never_hold_the_store_lock_at_once
    # the command line over TLS
    tls::cli_exits_2_naming_ropc_ca_file_for_a_malformed_bundle
    tls::cli_exits_5_for_an_unknown_ca
    tls::cli_trusts_a_ca_bundle_from_ropc_ca_file
    # each flow runs in a child process whose freed memory is read
    zeroize::a_full_flow_over_https_reports_what_tls_leaves
    zeroize::a_full_flow_over_http_leaves_no_secret_in_freed_memory
    zeroize::error_paths_leave_no_secret_in_freed_memory
)

# The skips, as exact names: libtest's `--exact` applies to `--skip` as well
# as to the filter, so a module cannot be skipped by its prefix in the same
# run as single tests by their names (and without `--exact`, a skip matches
# any name containing it: `cli::` would also skip `session::cli::`). The
# binary lists its tests; each module's are picked from that list.
integration_tests() {
    bash scripts/cross.sh cargo test --quiet --target "$target" --test integration -- --list |
        sed -n 's/: test$//p'
}
skip_names() {
    local all=$1 m t
    for m in "${cli_modules[@]}"; do
        grep "^$m::" <<<"$all" || { echo "cross-test: no test in module $m" >&2; return 1; }
    done
    for t in "${spawning[@]}"; do
        grep -qxF "$t" <<<"$all" || { echo "cross-test: no test named $t" >&2; return 1; }
        echo "$t"
    done
}

if [ "$only" = all ]; then
    echo "cross-test: $target: listing the integration tests, under the emulator"
    all=$(integration_tests)
    names=$(skip_names "$all")
    skips=()
    while IFS= read -r t; do skips+=(--skip "$t"); done <<<"$names"
    echo "cross-test: $target: unit tests, integration tests ($(wc -l <<<"$all") in all; $((${#skips[@]} / 2)) skipped: the modules ${cli_modules[*]} and ${#spawning[@]} tests that start a target process), under the emulator"
    bash scripts/cross.sh cargo test --target "$target" --lib --bins --test integration -- --exact "${skips[@]}"
    echo "cross-test: $target: doctests, under the emulator"
    bash scripts/cross.sh cargo test --target "$target" --doc
fi
echo "cross-test: $target: ropc demo (--features cli,testing), under the emulator"
bash scripts/cross.sh cargo run --quiet --features cli,testing --target "$target" --bin ropc -- demo
