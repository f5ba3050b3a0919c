#!/usr/bin/env bash
# Cross builds of ropc, in one place: the device targets, their C toolchains
# (ring has C and assembly), linkers and emulators.
#
#   bash scripts/cross.sh COMMAND [ARGS...]   # runs COMMAND with the settings below
#   bash scripts/cross.sh                     # only installs what is missing
#
#   bash scripts/cross.sh cargo build --profile device --bin ropc --features cli \
#       --target aarch64-unknown-linux-musl
#   bash scripts/cross.sh cargo test --lib --target aarch64-unknown-linux-musl
#
# Targets (`rustup target add` fetches their standard libraries):
#
#   aarch64-unknown-linux-musl            64-bit ARM, static (musl)
#   thumbv7neon-unknown-linux-gnueabihf   32-bit ARMv7, NEON, Thumb-2; glibc (Debian's armhf)
#   x86_64-unknown-linux-musl             x86-64, static (musl)
#   x86_64-unknown-linux-gnu              the host (glibc)
#
# There is no armv7 musl here: Debian has no C toolchain for it. The C
# compilers are Debian's cross gcc (gcc-aarch64-linux-gnu,
# gcc-arm-linux-gnueabihf) and the host gcc; the musl targets link with
# Rust's own self-contained musl (crt objects and libc.a shipped with the
# target's standard library), so a glibc cross gcc serves as the linker
# driver. `+crt-static` and `link-self-contained=yes` are rustc's defaults
# for musl today, written out so that the binaries stay static and linked
# against Rust's musl whatever a later rustc defaults to.
# Cargo runs test and example binaries of the ARM targets under qemu-user
# (CARGO_TARGET_<T>_RUNNER; no binfmt registration needed), the armhf ones
# against Debian's armhf glibc (`qemu-arm -L /usr/arm-linux-gnueabihf`, as
# QEMU_LD_PREFIX would; not exported, so qemu-aarch64 is not redirected).
#
# What is missing is installed (root: apt-get; rustup target add): CI starts
# from a clean machine with only the Rust toolchain. Only Debian packages and
# rustup targets are fetched.
set -euo pipefail

cross_targets=(aarch64-unknown-linux-musl thumbv7neon-unknown-linux-gnueabihf x86_64-unknown-linux-musl)

# --- what is installed, and what is not ----------------------------------
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf)
[ -e /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 ] || need+=(libc6-dev-armhf-cross)
{ command -v qemu-aarch64 >/dev/null && command -v qemu-arm >/dev/null; } || need+=(qemu-user)
command -v file >/dev/null || need+=(file)
if [ ${#need[@]} -gt 0 ]; then
    echo "cross: installing ${need[*]}" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "cross: not root; install them with: sudo apt-get install ${need[*]}" >&2
        exit 1
    fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >&2
fi
installed=$(rustup target list --installed)
missing=()
for t in "${cross_targets[@]}"; do
    grep -qx "$t" <<<"$installed" || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "cross: rustup target add ${missing[*]}" >&2
    rustup target add "${missing[@]}" >&2
fi

# --- aarch64-unknown-linux-musl: static ----------------------------------
export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_musl=aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static -C link-self-contained=yes"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER=qemu-aarch64

# --- thumbv7neon-unknown-linux-gnueabihf: glibc (armhf) ------------------
export CC_thumbv7neon_unknown_linux_gnueabihf=arm-linux-gnueabihf-gcc
export AR_thumbv7neon_unknown_linux_gnueabihf=arm-linux-gnueabihf-ar
export CARGO_TARGET_THUMBV7NEON_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
export CARGO_TARGET_THUMBV7NEON_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"

# --- x86_64-unknown-linux-musl: static -----------------------------------
export CC_x86_64_unknown_linux_musl=gcc
export AR_x86_64_unknown_linux_musl=ar
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=gcc
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static -C link-self-contained=yes"

if [ $# -gt 0 ]; then
    exec "$@"
fi
