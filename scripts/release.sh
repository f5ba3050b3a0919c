#!/usr/bin/env bash
# The release, in one command: the `ropc` command-line tool built with the
# `device` profile for each device target, a Debian package per
# architecture, and SHA256SUMS over all of them, into one folder.
#
#   bash scripts/release.sh [OUTDIR]        # OUTDIR defaults to ./dist
#
# What OUTDIR holds (VERSION is Cargo.toml's):
#
#   ropc-VERSION-x86_64-unknown-linux-musl            static (musl)
#   ropc-VERSION-aarch64-unknown-linux-musl           static (musl)
#   ropc-VERSION-thumbv7neon-unknown-linux-gnueabihf  32-bit ARMv7 NEON, glibc
#   ropc_VERSION_amd64.deb, ropc_VERSION_arm64.deb, ropc_VERSION_armhf.deb
#   SHA256SUMS                                        `sha256sum -c SHA256SUMS` in OUTDIR
#
# The binaries: `cargo build --profile device --bin ropc --features cli
# --target T` through scripts/cross.sh (which installs the cross toolchains
# and rustup targets it needs). The packages: `dpkg-deb --build
# --root-owner-group` of a tree holding /usr/bin/ropc, the licence in
# /usr/share/doc/ropc/copyright, a short README and the changelog; the
# armhf package depends on the glibc (and libgcc) versions its binary asks
# for. The maintainer is `[package.metadata.deb] maintainer` in Cargo.toml
# (where cargo-deb reads it). File dates are the last commit's
# (SOURCE_DATE_EPOCH), so the same commit gives the same packages.
#
# tests/release_output.sh OUTDIR checks the result. CARGO_TARGET_DIR is
# honoured (where cargo builds is asked of cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
root=$(pwd)
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The toolchains first (installed when missing), then what cargo says.
bash scripts/cross.sh
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
maintainer=$(sed -n '/^\[package\.metadata\.deb\]/,/^\[/s/^maintainer = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$version" ] && [ -n "$maintainer" ] || {
    echo "release: Cargo.toml lacks the version or [package.metadata.deb] maintainer" >&2
    exit 1
}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# target triple, Debian architecture
releases=(
    "x86_64-unknown-linux-musl amd64"
    "aarch64-unknown-linux-musl arm64"
    "thumbv7neon-unknown-linux-gnueabihf armhf"
)

# --- binaries ------------------------------------------------------------
for r in "${releases[@]}"; do
    read -r triple _ <<<"$r"
    echo "release: cargo build --profile device --bin ropc --features cli --target $triple" >&2
    bash scripts/cross.sh cargo build --quiet --locked --profile device --bin ropc --features cli --target "$triple"
    install -m 0755 "$target_dir/$triple/device/ropc" "$out/ropc-$version-$triple"
done

# --- Debian packages -----------------------------------------------------
# Depends of a dynamically linked binary, from what it needs: libc.so.6 at
# the newest GLIBC_ symbol version it uses, libgcc_s.so.1; anything else is
# an error (a new library needs a line here).
depends_of() { # binary -> Depends value (empty for a static binary)
    local bin=$1 lib deps=() glibc
    while read -r lib; do
        case $lib in
            libc.so.6)
                glibc=$(readelf -VW "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
                deps+=("libc6 (>= $glibc)")
                ;;
            libgcc_s.so.1) deps+=("libgcc-s1") ;;
            *)
                echo "release: $bin needs $lib, which no package is known for" >&2
                return 1
                ;;
        esac
    done < <(readelf -dW "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    if [ ${#deps[@]} -gt 0 ]; then
        printf '%s\n' "${deps[@]}" | sort | paste -sd, - | sed 's/,/, /g'
    fi
}

for r in "${releases[@]}"; do
    read -r triple arch <<<"$r"
    bin="$out/ropc-$version-$triple"
    pkg="$work/ropc_${version}_$arch"
    doc="$pkg/usr/share/doc/ropc"
    mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$doc"
    install -m 0755 "$bin" "$pkg/usr/bin/ropc"
    {
        echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        echo "Upstream-Name: ropc"
        echo
        echo "Files: *"
        echo "Copyright: $(sed -n 's/^Copyright (c) //p' LICENSE-MIT | head -n 1)"
        echo "License: MIT or Apache-2.0"
        echo
        echo "License: MIT"
        sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
        echo
        echo "License: Apache-2.0"
        sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' LICENSE-APACHE
    } >"$doc/copyright"
    cat >"$doc/README" <<EOF
ropc $version: a small, blocking OAuth 2.0 Resource Owner Password
Credentials client for devices (RFC 6749 section 4.3), as a command for
shell scripts.

  ropc --help           the commands, the ROPC_* variables and exit codes
  ropc token            log in: prints the token response as JSON
  ropc refresh          a new access token from a refresh token on stdin
  ropc access           a valid access token, through a token store

Configuration comes from the environment (ROPC_TOKEN_URL, ROPC_CLIENT_ID,
ROPC_CLIENT_SECRET or ROPC_CLIENT_SECRET_FILE, ROPC_USERNAME, ...); secrets
are never taken on the command line. The password is read from
ROPC_PASSWORD_FILE or the first line of standard input.

Use this grant only when authorization code + PKCE cannot be used.

Licence: MIT or Apache-2.0 (copyright in this folder).
EOF
    gzip -9n <CHANGELOG.md >"$doc/changelog.gz"
    chmod 0644 "$doc"/*
    depends=$(depends_of "$pkg/usr/bin/ropc")
    installed_kib=$(du -sk --exclude=DEBIAN "$pkg" | cut -f 1)
    {
        echo "Package: ropc"
        echo "Version: $version"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $installed_kib"
        if [ -n "$depends" ]; then echo "Depends: $depends"; fi
        echo "Section: net"
        echo "Priority: optional"
        echo "Description: OAuth 2.0 password-grant (ROPC) client for devices"
        echo " The ropc command logs in with a user's password at an identity"
        echo " provider's token endpoint, verifies the access token (HS256 with the"
        echo " client secret, or the provider's published keys), refreshes it, and"
        echo " keeps the refresh token in an owner-only store; secrets are wiped from"
        echo " memory after use. For small synchronous tools on Linux devices."
    } >"$pkg/DEBIAN/control"
    (cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
    chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
    find "$pkg" -type d -exec chmod 0755 {} +
    find "$pkg" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --build --root-owner-group -Zxz "$pkg" "$out/ropc_${version}_$arch.deb" >/dev/null
done

# --- checksums -----------------------------------------------------------
(
    cd "$out"
    rm -f SHA256SUMS
    files=()
    for r in "${releases[@]}"; do
        read -r triple arch <<<"$r"
        files+=("ropc-$version-$triple" "ropc_${version}_$arch.deb")
    done
    sha256sum "${files[@]}" >SHA256SUMS
)
cd "$root"
echo "release: $out"
(cd "$out" && ls -l)
