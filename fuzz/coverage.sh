#!/usr/bin/env bash
# Source coverage of ropc reached by the fuzz corpora: for each target (or the
# ones named), `cargo fuzz coverage` replays fuzz/corpus/<target>/ and the
# corpus grown by run.sh in fuzz/target/corpus/<target>/, then llvm-cov
# reports the line and region coverage of ropc's own source files, per target
# and for all targets together.
#
#   bash fuzz/coverage.sh [TARGET...]
#
# Needs llvm-cov and llvm-profdata: `rustup component add llvm-tools-preview`
# (installed here for the toolchain in use when missing). Reports are written
# to fuzz/coverage/ (ignored by git).
set -uo pipefail

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$fuzz_dir" || exit 2
all_targets=(jwt_verify jwt_forgery jwt_keys token_response error_response form_roundtrip basic_roundtrip redactor store_file)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

cargo=(cargo)
toolchain=stable
if [[ ${FUZZ_TOOLCHAIN:-} != stable ]] && rustup run nightly rustc --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
    toolchain=nightly
else
    export RUSTC_BOOTSTRAP=1
fi
# Where cargo builds the fuzz crate (CARGO_TARGET_DIR, a config file, or
# fuzz/target): asked of cargo, never assumed.
cargo_target=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [[ $toolchain == stable ]]; then rm -f "$cargo_target/.rustc_info.json"; fi
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked || exit 2

host=$(rustc +"$toolchain" -vV | sed -n 's/^host: //p')
bin_dir="$(rustc +"$toolchain" --print sysroot)/lib/rustlib/$host/bin"
if [[ ! -x $bin_dir/llvm-cov ]]; then
    rustup component add llvm-tools-preview --toolchain "$toolchain" >/dev/null 2>&1
fi
llvm_cov=$bin_dir/llvm-cov
llvm_profdata=$bin_dir/llvm-profdata
if [[ ! -x $llvm_cov || ! -x $llvm_profdata ]]; then
    echo "no llvm-cov/llvm-profdata in $bin_dir (rustup component add llvm-tools-preview failed)" >&2
    exit 2
fi

src_dir=$(cd "$fuzz_dir/.." && pwd)/src
# Only ropc's own sources: not its dependencies, the standard library or the
# fuzz crate itself.
ignore="(/\.cargo/|/rustc/|/fuzz/|/library/)"
# The modules the targets call into; the rest of src/ (HTTP client, session,
# the store's file handling, TLS, CLI) is out of their reach and is reported
# apart. (jwt and response may be single files or directories of modules.)
core_files="jwt response json.rs redact.rs grant.rs form.rs secret.rs store/format.rs"
core_regex='(^|/)(jwt|response)([.]rs$|/)|(^|/)(json|redact|grant|form|secret)[.]rs$|(^|/)store/format[.]rs$'

# One row: lines and regions covered in the core files, and in all of src/.
# llvm-cov report columns: Filename Regions Missed Cover Functions Missed
# Executed Lines Missed Cover ...
core_line() {
    awk -v t="$1" -v n="$2" -v core="$core_regex" '
        $1 == "TOTAL" { tl = $8; tlm = $9; tr = $2; trm = $3 }
        $1 ~ core { l += $8; lm += $9; r += $2; rm += $3 }
        END {
            printf "%-16s %7s %10.2f%% %10.2f%% %12.2f%%", t, n,
                l ? 100 * (l - lm) / l : 0, r ? 100 * (r - rm) / r : 0,
                tl ? 100 * (tl - tlm) / tl : 0
        }' "$3"
}

mkdir -p "$fuzz_dir/coverage" "$fuzz_dir/target/logs"
profiles=()
objects=()
summary=()
for t in "${targets[@]}"; do
    corpus=("$fuzz_dir/corpus/$t")
    [[ -d $fuzz_dir/target/corpus/$t ]] && corpus=("$fuzz_dir/target/corpus/$t" "${corpus[@]}")
    n=$(find "${corpus[@]}" -type f | wc -l)
    echo "== $t: replaying $n corpus inputs"
    if ! "${cargo[@]}" fuzz coverage -a "$t" "${corpus[@]}" >"$fuzz_dir/target/logs/$t.coverage.log" 2>&1; then
        tail -n 20 "$fuzz_dir/target/logs/$t.coverage.log"
        echo "cargo fuzz coverage $t failed" >&2
        exit 1
    fi
    profile="$fuzz_dir/coverage/$t/coverage.profdata"
    object=$(find "$cargo_target" "$fuzz_dir/target" -path "*/$host/coverage/*" \
        -path "*/release/$t" -type f 2>/dev/null | head -n 1)
    "$llvm_cov" report "$object" -instr-profile="$profile" -ignore-filename-regex="$ignore" \
        >"$fuzz_dir/coverage/$t/report.txt"
    summary+=("$(core_line "$t" "$n" "$fuzz_dir/coverage/$t/report.txt")")
    profiles+=("$profile")
    objects+=(-object "$object")
done

"$llvm_profdata" merge -sparse "${profiles[@]}" -o "$fuzz_dir/coverage/all.profdata"
"$llvm_cov" report "${objects[@]}" -instr-profile="$fuzz_dir/coverage/all.profdata" \
    -ignore-filename-regex="$ignore" >"$fuzz_dir/coverage/all-report.txt"

echo
echo "== coverage of ropc's sources ($src_dir): lines and regions of the fuzzed"
echo "   modules ($core_files), and lines of all of src/"
printf '%-16s %7s %11s %11s %13s\n' target inputs "core lines" "core regions" "src/ lines"
for r in "${summary[@]}"; do echo "$r"; done
echo "$(core_line "all targets" "-" "$fuzz_dir/coverage/all-report.txt")"
echo
echo "== all targets together, per file (fuzz/coverage/all-report.txt)"
# Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover
awk 'NR > 2 && $1 !~ /^-/ {printf "%-28s lines %8s  regions %8s  functions %8s\n", $1, $10, $4, $7}' \
    "$fuzz_dir/coverage/all-report.txt"
