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
#   * the peak resident set size (`/usr/bin/time -v`, "Maximum resident set
#     size") of one `ropc token` against the loopback provider
#     (`examples/serve.rs`), over plain http on 127.0.0.1, median and max of
#     5 runs.
#
#   bash examples/footprint.sh
#
# CARGO_TARGET_DIR is honoured (a separate one keeps the device builds from
# waiting on the lock of a target directory in use).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

target_dir=${CARGO_TARGET_DIR:-target}
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

# --- the loopback provider -----------------------------------------------
cargo build --quiet --release --example serve
: >"$work/serve.out"
"$target_dir/release/examples/serve" 600 >>"$work/serve.out" &
serve_pid=$!
for _ in $(seq 100); do
    [ "$(wc -l <"$work/serve.out")" -ge 5 ] && break
    sleep 0.1
done
[ "$(wc -l <"$work/serve.out")" -ge 5 ] || { echo "footprint: the loopback provider did not start" >&2; exit 1; }
{
    read -r url
    read -r client_id
    read -r client_secret
    read -r username
    read -r password
} <"$work/serve.out"

peak_rss() { # binary -> "median max" in KiB over $runs runs
    local bin=$1 i
    for i in $(seq "$runs"); do
        printf '%s\n' "$password" |
            ROPC_TOKEN_URL=$url ROPC_CLIENT_ID=$client_id ROPC_CLIENT_SECRET=$client_secret \
                ROPC_USERNAME=$username /usr/bin/time -v "$bin" token \
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
human() { awk -v b="$1" 'BEGIN { printf "%.2f MB (%.0f KiB)", b / 1e6, b / 1024 }'; }

echo "| build | stripped size | unique crates (incl. ropc / excl.) | peak RSS of one \`ropc token\` (median / max of $runs) |"
echo "| --- | ---: | ---: | ---: |"
for variant in rustls notls; do
    case $variant in
        rustls) label="default features (rustls)"; tree_args=() ;;
        notls) label="--no-default-features (no TLS)"; tree_args=(--no-default-features) ;;
    esac
    size=$(size_of "$work/ropc-$variant.stripped")
    read -r with without < <(crates "${tree_args[@]}")
    if $have_time; then
        read -r med max < <(peak_rss "$work/ropc-$variant.stripped")
        rss=$(awk -v a="$med" -v b="$max" 'BEGIN { printf "%.2f MB / %.2f MB (%d / %d KiB)", a * 1024 / 1e6, b * 1024 / 1e6, a, b }')
    else
        rss="(no /usr/bin/time)"
    fi
    echo "| $label | $(human "$size") | $with / $without | $rss |"
done
echo
echo "device profile: $(sed -n '/^\[profile.device\]/,/^$/p' Cargo.toml | grep -v '^\[' | grep -v '^$' | tr '\n' ' ')"
echo "sizes are bytes of the stripped binary (MB = 10^6 bytes); crates: cargo tree -e normal --prefix none, unique name+version, for the library's normal dependencies (build and dev dependencies excluded); RSS: /usr/bin/time -v, ropc token over http to 127.0.0.1."
echo "rustc: $(rustc -V)"
