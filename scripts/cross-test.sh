#!/usr/bin/env bash
# The test suite on a device target, under qemu-user (scripts/cross.sh sets
# cargo's runner), and the command line's demo:
#
#   bash scripts/cross-test.sh aarch64-unknown-linux-musl
#   bash scripts/cross-test.sh thumbv7neon-unknown-linux-gnueabihf demo   # the demo only
#
# What runs: the library's unit tests, the binary's, the doctests and every
# integration test, except the tests that start a program of the target
# themselves — the `ropc` binary (CARGO_BIN_EXE_ropc), or the test binary
# again as a second process. Cargo starts each test binary under qemu, but
# a process the emulated test starts is started by the kernel, which cannot
# run an ARM executable on x86-64 without binfmt_misc handlers; registering
# those changes the whole machine, so CI does not. Those tests run natively
# in CI's x86-64 steps; here, `ropc demo` runs the command line under the
# emulator instead. A test named below that no longer exists is simply not
# skipped; a new test that starts a target program fails here with "Exec
# format error" and belongs in this list.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/cross-test.sh TARGET [demo]}
only=${2:-all}
case $only in all | demo) ;; *) echo "usage: scripts/cross-test.sh TARGET [demo]" >&2; exit 2 ;; esac

# Integration tests that are all about the `ropc` binary.
cli_files=(cli cli_any_provider cli_devices cli_revocation)
# Tests elsewhere that start the `ropc` binary or another process of the target.
spawning=(
    # tests/session.rs: the `access` and `logout` commands, and two tests
    # that race processes on one store
    access_and_logout_need_a_store_path
    a_writer_killed_at_random_points_leaves_the_old_or_the_new_file
    access_and_logout_refuse_a_fifo_store_promptly
    access_finds_every_store_problem_before_the_password_is_read_or_sent
    access_logs_in_once_then_lives_on_the_store
    access_never_advises_logout_for_a_file_that_is_not_a_ropc_store
    access_output_refuses_what_the_store_refuses_before_the_password_is_sent
    access_on_a_terminal_prompts_only_when_it_needs_the_password
    access_output_replaces_the_file_atomically_with_mode_0600_and_leaves_it_on_failure
    access_prints_the_token_and_exits_2_when_the_new_refresh_token_cannot_be_saved
    access_refuses_a_store_made_for_another_user_client_or_token_url
    access_with_a_revoked_refresh_token_and_no_password_exits_3
    access_without_a_username_is_a_configuration_error_not_login_required
    access_without_store_or_password_exits_3_login_required
    logout_refuses_a_symlinked_store_and_leaves_its_target_alone
    two_processes_near_expiry_send_one_refresh
    # tests/store.rs: the lock across processes
    three_processes_never_hold_the_store_lock_at_once
    # tests/tls.rs: the command line over TLS
    cli_exits_2_naming_ropc_ca_file_for_a_malformed_bundle
    cli_exits_5_for_an_unknown_ca
    cli_trusts_a_ca_bundle_from_ropc_ca_file
    # tests/zeroize.rs: each flow runs in a child process whose freed memory is read
    a_full_flow_over_https_reports_what_tls_leaves
    a_full_flow_over_http_leaves_no_secret_in_freed_memory
    error_paths_leave_no_secret_in_freed_memory
)

tests=()
for f in tests/*.rs; do
    name=$(basename "$f" .rs)
    skip=false
    for c in "${cli_files[@]}"; do [ "$name" = "$c" ] && skip=true; done
    $skip || tests+=(--test "$name")
done
skips=()
for t in "${spawning[@]}"; do skips+=(--skip "$t"); done

if [ "$only" = all ]; then
    echo "cross-test: $target: unit tests, integration tests ($((${#tests[@]} / 2)) files; not ${cli_files[*]}; ${#spawning[@]} tests that start a target process skipped), under the emulator"
    bash scripts/cross.sh cargo test --target "$target" --lib --bins "${tests[@]}" -- --exact "${skips[@]}"
    echo "cross-test: $target: doctests, under the emulator"
    bash scripts/cross.sh cargo test --target "$target" --doc
fi
echo "cross-test: $target: ropc demo (--features cli,testing), under the emulator"
bash scripts/cross.sh cargo run --quiet --features cli,testing --target "$target" --bin ropc -- demo
