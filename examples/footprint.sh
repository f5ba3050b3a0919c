#!/usr/bin/env bash
# The footprint of the `ropc` command-line tool on a device, in one run:
#
#   * the size of the `ropc` binary built with the `device` profile
#     (Cargo.toml: opt-level "z", LTO, one codegen unit, panic = "abort",
#     stripped), with the default features (TLS through rustls) and with no
#     TLS (`--no-default-features --features cli`); the size printed is that
#     of a copy run through `strip` again (a no-op when the profile already
#     stripped it);
#   * the number of unique crates in the library's normal dependency tree for
#     each feature set: `cargo tree -e normal --prefix none`, unique
#     "name version" lines, ropc itself included (and, separately, excluded);
#     build and dev dependencies are not counted;
#   * the same size for each device target (scripts/cross.sh cross-builds
#     them: x86_64-unknown-linux-musl and aarch64-unknown-linux-musl static,
#     thumbv7neon-unknown-linux-gnueabihf with glibc) beside that of the
#     floor (examples/floor: the smallest password-grant client on the same
#     stack) built for the same target with the same profile in the same
#     run, and the ratio ropc / floor, against the ceiling (1.75 MB and
#     1.10 × the floor);
#   * the peak resident set size (`/usr/bin/time -v`, "Maximum resident set
#     size") of one `ropc token` against the loopback provider
#     (`examples/serve.rs`), over plain http on 127.0.0.1, median and max of
#     5 runs; for the rustls build also over https to localhost, the
#     provider's private CA given in ROPC_CA_FILE (which ropc adds to the
#     built-in roots).
#
#   bash examples/footprint.sh
#
# CARGO_TARGET_DIR is honoured (a separate one keeps the device builds from
# waiting on the lock of a target directory in use).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
root=$(pwd)

# Where cargo puts what it builds (CARGO_TARGET_DIR, a config file, or ./target).
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
runs=5
work=$(mktemp -d)
serve_pid=
cleanup() {
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x /usr/bin/time ]; then
    echo "footprint: /usr/bin/time is missing; installing the 'time' package" >&2
    if [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 || true
    fi
fi
have_time=false
if [ -x /usr/bin/time ]; then have_time=true; fi

# --- builds --------------------------------------------------------------
build() { # name, cargo features...
    local name=$1
    shift
    cargo build --quiet --profile device --bin ropc "$@"
    cp "$target_dir/device/ropc" "$work/ropc-$name"
    cp "$work/ropc-$name" "$work/ropc-$name.stripped"
    strip "$work/ropc-$name.stripped"
}
build rustls --features cli
build notls --no-default-features --features cli
# The same rustls binary without the wiping allocator and the stack scrub
# (src/bin/ropc/hygiene.rs), to measure what they cost. Its own target
# directory: other RUSTFLAGS would rebuild everything in the shared one.
RUSTFLAGS="--cfg ropc_no_hygiene" CARGO_TARGET_DIR="$target_dir/no-hygiene" \
    cargo build --quiet --profile device --bin ropc --features cli
cp "$target_dir/no-hygiene/device/ropc" "$work/ropc-nohygiene.stripped"
strip "$work/ropc-nohygiene.stripped"

# The device targets (scripts/cross.sh installs their toolchains when
# missing), each with its floor. The floor is its own workspace: it is
# built from a copy beside the build (mtimes kept, so an unchanged copy is
# not rebuilt) with ropc's lock file, so it links the same versions.
# target triple ("" for the host, as built above), strip for its ELF files
cross_targets=(
    "x86_64-unknown-linux-gnu  strip"
    "x86_64-unknown-linux-musl strip"
    "aarch64-unknown-linux-musl aarch64-linux-gnu-strip"
    "thumbv7neon-unknown-linux-gnueabihf arm-linux-gnueabihf-strip"
)
host_triple=$(rustc -vV | sed -n 's/^host: //p')
floor_src="$target_dir/floor-src"
rm -rf "$floor_src/src"
mkdir -p "$floor_src"
cp -rp examples/floor/Cargo.toml examples/floor/src "$floor_src/"
cp -p Cargo.lock "$floor_src/Cargo.lock"
for t in "${cross_targets[@]}"; do
    read -r triple strip_tool <<<"$t"
    if [ "$triple" = "$host_triple" ]; then
        # The host: ropc as built above; the floor the same way.
        (cd "$floor_src" && CARGO_TARGET_DIR="$target_dir" cargo build --quiet --profile device)
        cp "$work/ropc-rustls.stripped" "$work/ropc-$triple.stripped"
        cp "$target_dir/device/ropc-floor" "$work/floor-$triple.stripped"
    else
        bash scripts/cross.sh cargo build --quiet --profile device --bin ropc --features cli --target "$triple"
        (cd "$floor_src" && CARGO_TARGET_DIR="$target_dir" bash "$root/scripts/cross.sh" \
            cargo build --quiet --profile device --target "$triple")
        cp "$target_dir/$triple/device/ropc" "$work/ropc-$triple.stripped"
        cp "$target_dir/$triple/device/ropc-floor" "$work/floor-$triple.stripped"
    fi
    "$strip_tool" "$work/ropc-$triple.stripped" "$work/floor-$triple.stripped"
done

# --- the loopback providers (http, and https with a private CA) ------------
cargo build --quiet --release --example serve
serve_tls_pid=
start_provider() { # output file, serve args...
    local out=$1
    shift
    : >"$out"
    "$target_dir/release/examples/serve" "$@" 600 >>"$out" &
    echo $!
}
serve_pid=$(start_provider "$work/serve.out")
serve_tls_pid=$(start_provider "$work/serve-tls.out" --tls "$work")
cleanup() {
    for pid in $serve_pid $serve_tls_pid; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
for _ in $(seq 100); do
    [ "$(wc -l <"$work/serve.out")" -ge 5 ] && [ "$(wc -l <"$work/serve-tls.out")" -ge 5 ] && break
    sleep 0.1
done
for f in serve.out serve-tls.out; do
    [ "$(wc -l <"$work/$f")" -ge 5 ] || { echo "footprint: a loopback provider did not start" >&2; exit 1; }
done
{
    read -r url
    read -r client_id
    read -r client_secret
    read -r username
    read -r password
} <"$work/serve.out"
tls_url=$(head -n 1 "$work/serve-tls.out")

peak_rss() { # binary, token URL, extra env... -> "median max" in KiB over $runs runs
    local bin=$1 token_url=$2 i
    shift 2
    for i in $(seq "$runs"); do
        printf '%s\n' "$password" |
            env ROPC_TOKEN_URL="$token_url" ROPC_CLIENT_ID="$client_id" \
                ROPC_CLIENT_SECRET="$client_secret" ROPC_USERNAME="$username" "$@" \
                /usr/bin/time -v "$bin" token \
                2>"$work/time.$i" >"$work/out.$i"
        grep -q '"access_token"' "$work/out.$i" || {
            echo "footprint: ropc token failed:" >&2
            cat "$work/time.$i" >&2
            exit 1
        }
        sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.$i"
    done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[NR] }'
}

crates() { # cargo tree args -> "with-ropc without-ropc"
    cargo tree -e normal --prefix none "$@" 2>/dev/null |
        sed -e 's/ (\*)$//' -e 's/ (proc-macro)$//' -e 's/ (\/.*)$//' |
        awk 'NF' | sort -u >"$work/crates"
    printf '%s %s\n' "$(wc -l <"$work/crates")" "$(grep -vc '^ropc ' "$work/crates")"
}

size_of() { stat -c %s "$1"; }
human() { awk -v b="$1" 'BEGIN { printf "%.0f KiB = %.2f MiB = %.2f MB", b / 1024, b / 1048576, b / 1e6 }'; }
rss_text() { # "median max" in KiB
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%d / %d KiB = %.2f / %.2f MiB = %.2f / %.2f MB", a, b, a / 1024, b / 1024, a * 1024 / 1e6, b * 1024 / 1e6 }'
}

echo "| build | stripped size | unique crates (incl. ropc / excl.) | peak RSS of one \`ropc token\`, http (median / max of $runs) |"
echo "| --- | ---: | ---: | ---: |"
for variant in rustls notls; do
    case $variant in
        rustls) label="default features (rustls)"; tree_args=() ;;
        notls) label="--no-default-features (no TLS)"; tree_args=(--no-default-features) ;;
    esac
    size=$(size_of "$work/ropc-$variant.stripped")
    read -r with without < <(crates "${tree_args[@]}")
    if $have_time; then
        read -r med max < <(peak_rss "$work/ropc-$variant.stripped" "$url")
        rss=$(rss_text "$med" "$max")
    else
        rss="(no /usr/bin/time)"
    fi
    echo "| $label | $(human "$size") | $with / $without | $rss |"
done
echo
echo "Size per target against the floor (examples/floor, the same stack doing the same job with none of ropc's care), both built with the device profile in this run; ceiling: at most 1.75 MB and 1.10 × the floor:"
echo
echo "| target | ropc (bytes) | floor (bytes) | ropc / floor | within the ceiling |"
echo "| --- | ---: | ---: | ---: | --- |"
for t in "${cross_targets[@]}"; do
    read -r triple _ <<<"$t"
    r=$(size_of "$work/ropc-$triple.stripped")
    f=$(size_of "$work/floor-$triple.stripped")
    awk -v t="$triple" -v r="$r" -v f="$f" 'BEGIN {
        ratio = r / f
        verdict = "yes"
        if (r > 1750000 && ratio > 1.10) verdict = "no: over 1.75 MB and 1.10 ×"
        else if (r > 1750000) verdict = "no: over 1.75 MB"
        else if (ratio > 1.10) verdict = "no: over 1.10 ×"
        printf "| %s | %d (%.2f MB) | %d (%.2f MB) | %.3f | %s |\n", t, r, r / 1e6, f, f / 1e6, ratio, verdict
    }'
done
wall_ms() { # binary, token URL, extra env... -> median wall time of `ropc token` in ms over 15 runs
    local bin=$1 token_url=$2 i start end
    shift 2
    for i in $(seq 15); do
        start=$(date +%s%N)
        printf '%s\n' "$password" |
            env ROPC_TOKEN_URL="$token_url" ROPC_CLIENT_ID="$client_id" \
                ROPC_CLIENT_SECRET="$client_secret" ROPC_USERNAME="$username" "$@" \
                "$bin" token >/dev/null
        end=$(date +%s%N)
        echo $(((end - start) / 1000))
    done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] / 1000 }'
}
echo
echo "Cost of the binary's hygiene (wipe-on-free allocator + stack scrub), rustls build, one \`ropc token\` (peak RSS median of $runs, wall time median of 15 runs including process start):"
echo
echo "| binary | http: peak RSS | http: wall time | https: peak RSS | https: wall time |"
echo "| --- | ---: | ---: | ---: | ---: |"
for variant in rustls nohygiene; do
    bin="$work/ropc-$variant.stripped"
    case $variant in
        rustls) label="as shipped" ;;
        nohygiene) label="without (--cfg ropc_no_hygiene)" ;;
    esac
    if $have_time; then
        read -r med _ < <(peak_rss "$bin" "$url")
        read -r tmed _ < <(peak_rss "$bin" "$tls_url" ROPC_CA_FILE="$work/ca.pem")
    else
        med="?" tmed="?"
    fi
    echo "| $label | $med KiB | $(wall_ms "$bin" "$url") ms | $tmed KiB | $(wall_ms "$bin" "$tls_url" ROPC_CA_FILE="$work/ca.pem") ms |"
done

if $have_time; then
    read -r med max < <(peak_rss "$work/ropc-rustls.stripped" "$tls_url" ROPC_CA_FILE="$work/ca.pem")
    echo
    echo "rustls build, one \`ropc token\` over https to localhost (private CA in ROPC_CA_FILE, added to the built-in roots): peak RSS $(rss_text "$med" "$max")"
fi
echo
echo "device profile: $(sed -n '/^\[profile.device\]/,/^$/p' Cargo.toml | grep -v '^\[' | grep -v '^$' | tr '\n' ' ')"
echo "KiB/MiB = 2^10/2^20 bytes, MB = 10^6 bytes; crates: cargo tree -e normal --prefix none, unique name+version, for the library's normal dependencies (build and dev dependencies excluded); RSS: /usr/bin/time -v of one ropc token, over http to 127.0.0.1 (table) and https to localhost (line above)."
echo "rustc: $(rustc -V)"
