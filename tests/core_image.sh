#!/usr/bin/env bash
# Counts the secrets left in the memory of a `ropc` process right before it
# exits: gdb stops it at the exit_group system call, gcore writes its core
# image, and each marker value is counted in the image.
#
#   bash tests/core_image.sh
#
# Needs gdb (installed with apt-get when missing and running as root). The
# password, the client secret and the tokens are unique per run. Prints a
# table, one row per case, and exits non-zero unless every count is 0:
#
# * `ropc token` over http, the client secret from the environment or a
#   file, the password from stdin or a file;
# * `ropc token` over https (a test CA in ROPC_CA_FILE);
# * `ropc refresh` (the refresh token on stdin);
# * `ropc token` refused: a wrong password (`invalid_grant`), a provider
#   quoting the password in its error description, a provider answering an
#   HTML 502 page that echoes the request (credentials included);
# * `ropc verify` of a token signed with another key;
# * `ropc revoke` (the refresh token on stdin) over https;
# * `ropc access --output FILE` logging in (the password on stdin), then
#   `ropc access` from the store, then `ropc logout` revoking the stored
#   refresh token over https.
#
# Binaries are found where cargo puts them (CARGO_TARGET_DIR and the like are
# honoured).
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
cargo build -q --release --example serve
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ropc=$target_dir/release/ropc
serve=$target_dir/release/examples/serve

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

rand() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
password="PWcore$(rand)"
secret="CScore$(rand)"
id="core-client"
user="core-user"
basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)

# Starts a provider knowing the markers (in the background; its URL goes to
# $work/NAME.url). $1: a name, then arguments for examples/serve.rs.
start_provider() {
    local name=$1
    shift
    ROPC_CLIENT_ID=$id ROPC_CLIENT_SECRET=$secret ROPC_USERNAME=$user ROPC_PASSWORD=$password \
        "$serve" "$@" 600 >"$work/$name.url" 2>"$work/$name.err" </dev/null &
    pids+=($!)
}
url_of() { # the URL of provider $1, once it is serving
    for _ in $(seq 1 200); do
        [ "$(wc -l <"$work/$1.url")" -ge 5 ] && break
        sleep 0.05
    done
    head -n1 "$work/$1.url"
}
mkdir "$work/tls" "$work/tls-echo"
start_provider http
start_provider https --tls "$work/tls"
start_provider quote --misbehave quote-password
start_provider echo --misbehave echo-502
start_provider echo-tls --tls "$work/tls-echo" --misbehave echo-502
http_url=$(url_of http)
https_url=$(url_of https)
quote_url=$(url_of quote)
echo_url=$(url_of echo)
echo_tls_url=$(url_of echo-tls)

printf '%s\n' "$password" >"$work/password"
printf 'not-%s\n' "$password" >"$work/wrong-password"
printf '%s\n' "$secret" >"$work/secret"
chmod 600 "$work/password" "$work/wrong-password" "$work/secret"

# The register holding exit_group's argument, the exit status.
case $(uname -m) in
aarch64) status_register=x0 ;;
*) status_register=rdi ;;
esac

count() { # a marker ("-" or empty: not applicable to the row)
    if [ -z "$1" ] || [ "$1" = - ]; then
        echo -
    else
        { grep -aoF -- "$1" "$work/core" || true; } | wc -l | tr -d ' '
    fi
}
failed=0

# Runs ropc under gdb, stopped at exit_group, and counts the markers in its
# core image.
# $1: row label; $2: expected exit status; $3: stdin file; then NAME=VALUE
# variables; after `--`, ropc's arguments.
run_case() {
    local label=$1 want=$2 stdin=$3
    shift 3
    local -a env=()
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    rm -f "$work/core" "$work/out" "$work/err"
    env -i "${env[@]}" gdb -q -nx -batch \
        -ex 'set pagination off' -ex 'set confirm off' \
        -ex 'catch syscall exit_group' \
        -ex "run $* < $stdin > $work/out 2> $work/err" \
        -ex "info registers $status_register" \
        -ex "gcore $work/core" -ex 'kill' \
        "$ropc" >"$work/gdb.log" 2>&1 || true
    local status
    status=$(sed -n "s/^$status_register *0x[0-9a-f]* *\([0-9]*\).*/\1/p" "$work/gdb.log" | tail -n1)
    if [ ! -s "$work/core" ] || [ "$status" != "$want" ]; then
        echo "core_image: $label: no core image, or exit status '$status' (want $want):" >&2
        cat "$work/gdb.log" "$work/err" >&2
        exit 1
    fi
    local access refresh
    access=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$work/out")
    refresh=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' "$work/out")
    [ -n "${row_access:-}" ] && access=$row_access
    [ -n "${row_refresh:-}" ] && refresh=$row_refresh
    # Tokens the run wrote to a file (`--output`) or a store, not to stdout.
    [ -n "${row_access_file:-}" ] && access=$(cat "$row_access_file")
    [ -n "${row_store:-}" ] && refresh=$(sed -n 's/^refresh_token //p' "$row_store")
    local -a counts=("$(count "$password")" "$(count "$secret")" "$(count "$basic")" \
        "$(count "$access")" "$(count "$refresh")")
    printf '| %-44s | %8s | %13s | %6s | %12s | %13s |\n' "$label" "${counts[@]}"
    for c in "${counts[@]}"; do
        if [ "$c" != 0 ] && [ "$c" != - ]; then failed=1; fi
    done
    # The tokens of this row, for a later row to pass on.
    last_access=$access
    last_refresh=$refresh
}

base=(ROPC_CLIENT_ID="$id" ROPC_USERNAME="$user")
with_env=(ROPC_CLIENT_SECRET="$secret")
with_file=(ROPC_CLIENT_SECRET_FILE="$work/secret")
pw_file=(ROPC_PASSWORD_FILE="$work/password")

echo "ropc, core image at exit_group ($(gdb --version | head -n1))"
echo
printf '| %-44s | %8s | %13s | %6s | %12s | %13s |\n' case password "client secret" Basic "access token" "refresh token"
echo "| -------------------------------------------- | -------: | ------------: | -----: | -----------: | ------------: |"
row_access= row_refresh=
run_case "token, http, secret env, password stdin" 0 "$work/password" \
    ROPC_TOKEN_URL="$http_url" "${base[@]}" "${with_env[@]}" -- token
run_case "token, http, secret env, password file" 0 /dev/null \
    ROPC_TOKEN_URL="$http_url" "${base[@]}" "${with_env[@]}" "${pw_file[@]}" -- token
run_case "token, http, secret file, password stdin" 0 "$work/password" \
    ROPC_TOKEN_URL="$http_url" "${base[@]}" "${with_file[@]}" -- token
run_case "token, http, secret file, password file" 0 /dev/null \
    ROPC_TOKEN_URL="$http_url" "${base[@]}" "${with_file[@]}" "${pw_file[@]}" -- token
run_case "token, https (test CA), secret env" 0 "$work/password" \
    ROPC_TOKEN_URL="$https_url" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_env[@]}" -- token
run_case "token, https (test CA), secret file" 0 "$work/password" \
    ROPC_TOKEN_URL="$https_url" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_file[@]}" -- token
printf '%s\n' "$last_refresh" >"$work/refresh"
row_refresh=$last_refresh
run_case "refresh, https (test CA), secret file" 0 "$work/refresh" \
    ROPC_TOKEN_URL="$https_url" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_file[@]}" -- refresh
https_revoke=${https_url%/token}/revoke
printf '%s\n' "$last_refresh" >"$work/to-revoke"
row_access=- row_refresh=$last_refresh
run_case "revoke, https (test CA), secret file" 0 "$work/to-revoke" \
    ROPC_REVOCATION_URL="$https_revoke" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_file[@]}" -- revoke
row_access= row_refresh=
row_access_file=$work/access-token row_store=$work/store
run_case "access --output, https, login, password stdin" 0 "$work/password" \
    ROPC_TOKEN_URL="$https_url" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_file[@]}" \
    -- access --store "$work/store" --output "$work/access-token"
row_access_file=$work/out
run_case "access, https, from the store" 0 /dev/null \
    ROPC_TOKEN_URL="$https_url" ROPC_CA_FILE="$work/tls/ca.pem" "${base[@]}" "${with_file[@]}" \
    -- access --store "$work/store"
# The store is gone after logout: its tokens are read first.
row_access_file= row_store=
row_access=$(sed -n 's/^access_token //p' "$work/store")
row_refresh=$(sed -n 's/^refresh_token //p' "$work/store")
run_case "logout, revoking over https, secret file" 0 /dev/null \
    ROPC_TOKEN_URL="$https_url" ROPC_REVOCATION_URL="$https_revoke" ROPC_CA_FILE="$work/tls/ca.pem" \
    "${base[@]}" "${with_file[@]}" -- logout --store "$work/store"
[ ! -e "$work/store" ] || { echo "core_image: logout left the store" >&2; exit 1; }
row_access= row_refresh=
# The last token with another signature, as if signed with another key: the
# HMAC runs with the client secret, then the tags differ.
row_access="${last_access%.*}.$(printf '%043d' 0 | tr 0 A)"
row_refresh=-
printf '%s\n' "$row_access" >"$work/token"
run_case "verify, a token signed with another key" 4 "$work/token" \
    "${with_file[@]}" -- verify
row_access=- row_refresh=-
run_case "token refused: invalid_grant" 3 "$work/wrong-password" \
    ROPC_TOKEN_URL="$http_url" "${base[@]}" "${with_env[@]}" -- token
run_case "token refused: description quotes the password" 3 "$work/password" \
    ROPC_TOKEN_URL="$quote_url" "${base[@]}" "${with_env[@]}" -- token
run_case "token refused: HTML 502 echoing the request" 6 "$work/password" \
    ROPC_TOKEN_URL="$echo_url" "${base[@]}" "${with_env[@]}" -- token
run_case "token refused: HTML 502 echoing, https" 6 "$work/password" \
    ROPC_TOKEN_URL="$echo_tls_url" ROPC_CA_FILE="$work/tls-echo/ca.pem" "${base[@]}" "${with_file[@]}" -- token
echo
if [ "$failed" != 0 ]; then
    echo "core_image: secrets left in a core image (every count must be 0)" >&2
    exit 1
fi
echo "core_image: no secret left in any core image"
