#!/usr/bin/env bash
# Checks what scripts/release.sh put in OUTDIR; exits non-zero, saying what
# is wrong, at the first problem:
#
#   bash tests/release_output.sh OUTDIR
#
#   * OUTDIR holds exactly the three binaries, the three packages and
#     SHA256SUMS, and `sha256sum -c SHA256SUMS` verifies every one of them;
#   * each binary is an ELF executable for its machine (e_machine: x86-64 62,
#     AArch64 183, ARM 40; 64 or 32 bits); the musl ones are static (no
#     PT_INTERP, no shared library needed), the armhf one asks for glibc's
#     loader; each prints `ropc VERSION` for `--version`, the ARM ones under
#     qemu-user;
#   * each package is named ropc, has Cargo.toml's version and the right
#     Architecture, Depends on libc6 exactly when its binary is dynamic, lists
#     ./usr/bin/ropc (root-owned, mode 0755), the copyright and the README in
#     ./usr/share/doc/ropc/, and nothing outside /usr; unpacked with
#     `dpkg -x`, its /usr/bin/ropc is the same file as the binary beside it
#     and runs `--version`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tests/release_output.sh OUTDIR}
out=$(cd "$out" && pwd)
# qemu-user and `file` (installed when missing).
bash scripts/cross.sh

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
fail() {
    echo "release_output: FAILED: $*" >&2
    exit 1
}
ok() {
    checks=$((checks + 1))
    echo "release_output: ok: $*"
}

# triple, Debian architecture, ELF class (1 = 32-bit, 2 = 64-bit), e_machine, linking, runner
releases=(
    "x86_64-unknown-linux-musl amd64 2 62 static"
    "aarch64-unknown-linux-musl arm64 2 183 static qemu-aarch64"
    "thumbv7neon-unknown-linux-gnueabihf armhf 1 40 glibc qemu-arm -L /usr/arm-linux-gnueabihf"
)

# --- the folder and its sums ---------------------------------------------
expected=(SHA256SUMS)
for r in "${releases[@]}"; do
    read -r triple arch _ <<<"$r"
    expected+=("ropc-$version-$triple" "ropc_${version}_$arch.deb")
done
present=$(cd "$out" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
wanted=$(printf '%s\n' "${expected[@]}" | sort)
[ "$present" = "$wanted" ] || fail "$out holds $(echo $present), not $(echo $wanted)"
ok "$out holds the ${#expected[@]} expected files and nothing else"
summed=$(awk '{ print $2 }' "$out/SHA256SUMS" | sort)
[ "$summed" = "$(printf '%s\n' "${expected[@]:1}" | sort)" ] ||
    fail "SHA256SUMS names $(echo $summed), not every file but itself"
(cd "$out" && sha256sum --check --strict --quiet SHA256SUMS) || fail "sha256sum -c SHA256SUMS"
ok "sha256sum -c SHA256SUMS: all $((${#expected[@]} - 1)) files verify"

# --- the binaries --------------------------------------------------------
byte() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }
u16le() { od -An -tu2 --endian=little -j "$2" -N 2 "$1" | tr -d ' '; }
check_binary() { # file, triple, class, e_machine, linking, runner...
    local bin=$1 triple=$2 class=$3 machine=$4 linking=$5 got
    shift 5
    [ "$(head -c 4 "$bin" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || fail "$bin is not an ELF file"
    [ "$(byte "$bin" 4)" = "$class" ] || fail "$bin: ELF class $(byte "$bin" 4), not $class"
    [ "$(byte "$bin" 5)" = 1 ] || fail "$bin is not little-endian"
    got=$(u16le "$bin" 18)
    [ "$got" = "$machine" ] || fail "$bin: e_machine $got, not $machine ($triple)"
    [ -x "$bin" ] || fail "$bin is not executable"
    local interp needed
    interp=$(readelf -lW "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
    needed=$(readelf -dW "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | tr '\n' ' ')
    case $linking in
        static)
            [ -z "$interp" ] || fail "$bin is not static: it asks for $interp"
            [ -z "$needed" ] || fail "$bin is not static: it needs $needed"
            ;;
        glibc)
            [ "$interp" = /lib/ld-linux-armhf.so.3 ] || fail "$bin: interpreter '$interp', not glibc's armhf loader"
            grep -qw libc.so.6 <<<"$needed" || fail "$bin does not need libc.so.6 ($needed)"
            ;;
    esac
    got=$("$@" "$bin" --version) || fail "$bin --version failed (${*:-natively})"
    [ "$got" = "ropc $version" ] || fail "$bin --version printed '$got', not 'ropc $version'"
}
for r in "${releases[@]}"; do
    read -r triple arch class machine linking runner <<<"$r"
    read -ra run <<<"$runner"
    bin="$out/ropc-$version-$triple"
    check_binary "$bin" "$triple" "$class" "$machine" "$linking" "${run[@]}"
    ok "$(basename "$bin"): ELF class $class, e_machine $machine, $linking, --version ${runner:-natively}"
done

# --- the packages --------------------------------------------------------
for r in "${releases[@]}"; do
    read -r triple arch class machine linking runner <<<"$r"
    read -ra run <<<"$runner"
    deb="$out/ropc_${version}_$arch.deb"
    name=$(basename "$deb")
    dpkg-deb --info "$deb" >/dev/null || fail "$name is not a Debian package"
    [ "$(dpkg-deb -f "$deb" Package)" = ropc ] || fail "$name: Package is not ropc"
    [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "$name: Version is not $version"
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$name: Architecture is not $arch"
    for field in Maintainer Description Installed-Size; do
        [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "$name: no $field"
    done
    depends=$(dpkg-deb -f "$deb" Depends)
    case $linking in
        static) [ -z "$depends" ] || fail "$name: a static binary, but Depends: $depends" ;;
        glibc) grep -Eq '(^|, )libc6 \(>= [0-9.]+\)' <<<"$depends" || fail "$name: Depends '$depends' lacks libc6 (>= ...)" ;;
    esac
    dpkg-deb -c "$deb" >"$work/list"
    for f in ./usr/bin/ropc ./usr/share/doc/ropc/copyright ./usr/share/doc/ropc/README; do
        grep -q " $f\$" "$work/list" || fail "$name does not list $f"
    done
    grep -Eq '^-rwxr-xr-x root/root .* \./usr/bin/ropc$' "$work/list" || fail "$name: ./usr/bin/ropc is not root's, mode 0755"
    if awk '{ print $6 }' "$work/list" | grep -Ev '^\./(usr(/.*)?)?$' >/dev/null; then
        fail "$name installs outside /usr: $(awk '{ print $6 }' "$work/list" | grep -Ev '^\./(usr(/.*)?)?$' | tr '\n' ' ')"
    fi
    rm -rf "$work/root" && mkdir "$work/root"
    dpkg -x "$deb" "$work/root"
    cmp -s "$work/root/usr/bin/ropc" "$out/ropc-$version-$triple" ||
        fail "$name: its /usr/bin/ropc differs from ropc-$version-$triple"
    grep -q 'MIT' "$work/root/usr/share/doc/ropc/copyright" && grep -q 'Apache' "$work/root/usr/share/doc/ropc/copyright" ||
        fail "$name: the copyright file lacks the licence"
    check_binary "$work/root/usr/bin/ropc" "$triple" "$class" "$machine" "$linking" "${run[@]}"
    ok "$name: ropc $version $arch${depends:+, Depends: $depends}; dpkg -x gives /usr/bin/ropc, which runs --version ${runner:-natively}"
done

echo "release_output: all $checks checks passed"
