#!/usr/bin/env bash
# Counts the secrets left in the memory of a `ropc token` process right
# before it exits: gdb stops it at the exit_group system call, gcore writes
# its core image, and each marker value is counted in the image.
#
#   bash tests/core_image.sh
#
# Needs gdb (installed with apt-get when missing and running as root). The
# password, client secret and the tokens are unique per run. Prints a table:
# one row per way of passing the client secret and the password.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gdb >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq gdb >/dev/null
    else
        echo "core_image: gdb is required" >&2
        exit 1
    fi
fi

cargo build -q --release --features cli --bin ropc
cargo build -q --release --example provider
ropc=target/release/ropc

work=$(mktemp -d)
provider_pid=
cleanup() {
    [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

rand() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
password="PWcore$(rand)"
secret="CScore$(rand)"
id="core-client"
user="core-user"

ROPC_CLIENT_ID=$id ROPC_CLIENT_SECRET=$secret ROPC_USERNAME=$user ROPC_PASSWORD=$password \
    target/release/examples/provider 300 > "$work/url" &
provider_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
url=$(head -n1 "$work/url")

printf '%s\n' "$password" > "$work/password"
printf '%s\n' "$secret" > "$work/secret"
chmod 600 "$work/password" "$work/secret"

count() { grep -aoF -- "$1" "$work/core" | wc -l | tr -d ' '; }

# Runs `ropc token` under gdb and counts the markers in its core image.
# $1: how the client secret is passed (env|file); $2: the password (stdin|file)
run_case() {
    local secret_mode=$1 password_mode=$2
    local -a env=(ROPC_TOKEN_URL="$url" ROPC_CLIENT_ID="$id" ROPC_USERNAME="$user")
    if [ "$secret_mode" = env ]; then env+=(ROPC_CLIENT_SECRET="$secret"); else env+=(ROPC_CLIENT_SECRET_FILE="$work/secret"); fi
    local stdin=/dev/null
    if [ "$password_mode" = file ]; then env+=(ROPC_PASSWORD_FILE="$work/password"); else stdin="$work/password"; fi
    rm -f "$work/core" "$work/out.json"
    env -i "${env[@]}" gdb -q -nx -batch \
        -ex 'set pagination off' -ex 'set confirm off' \
        -ex 'catch syscall exit_group' \
        -ex "run token < $stdin > $work/out.json 2> $work/err" \
        -ex "gcore $work/core" -ex 'kill' \
        "$ropc" > "$work/gdb.log" 2>&1 || true
    if [ ! -s "$work/core" ] || [ ! -s "$work/out.json" ]; then
        echo "core_image: no core image or no output for $secret_mode/$password_mode:" >&2
        cat "$work/gdb.log" "$work/err" >&2
        exit 1
    fi
    local access refresh
    access=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$work/out.json")
    refresh=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' "$work/out.json")
    if [ ${#access} -lt 40 ] || [ ${#refresh} -lt 20 ]; then
        echo "core_image: no tokens in the output of $secret_mode/$password_mode" >&2
        exit 1
    fi
    printf '| %-19s | %-14s | %8s | %13s | %12s | %13s |\n' \
        "$secret_mode" "$password_mode" "$(count "$password")" "$(count "$secret")" \
        "$(count "$access")" "$(count "$refresh")"
}

echo "ropc token, core image at exit_group ($(gdb --version | head -n1))"
echo
printf '| %-19s | %-14s | %8s | %13s | %12s | %13s |\n' "client secret from" "password from" "password" "client secret" "access token" "refresh token"
echo "| ------------------- | -------------- | -------: | ------------: | -----------: | ------------: |"
run_case env stdin
run_case env file
run_case file stdin
run_case file file
echo
echo "(A client secret in ROPC_CLIENT_SECRET stays in the process's environment block, which"
echo " ropc cannot wipe: use ROPC_CLIENT_SECRET_FILE.)"
