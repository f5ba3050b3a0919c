//! The help texts: `ropc --help` and `ropc <command> --help`.

/// The text of `ropc --help`, with `$demo` (the `demo` line, or nothing)
/// last in the list of commands.
macro_rules! main_help {
    ($demo:literal) => {
        concat!(
            "\
ropc — OAuth 2.0 password grant client that verifies the tokens it gets

Usage: ropc <command> [options]

Commands:
  token                 password grant; prints the tokens and claims as JSON
  refresh               refresh grant (refresh token on stdin); same output
  verify                verify a JWT (on stdin) with the key source; prints its claims
  access --store PATH   print a valid access token, refreshing or logging in as needed
  logout --store PATH   revoke the stored refresh token at the provider (with
                        ROPC_REVOCATION_URL), then wipe and remove the store
  revoke                revoke the refresh token on stdin (RFC 7009)
",
            $demo,
            "
Options:
  --output FILE         (token, refresh, access) replace FILE atomically with
                        what would be printed, mode 0600; on any failure FILE
                        is left as it was
  -h, --help            this help (also `ropc <command> --help`, `ropc help <command>`)
  -V, --version         the version

Configuration (environment; secrets never on the command line):
  ROPC_TOKEN_URL        token URL (https; http only for loopback)
  ROPC_CLIENT_ID        client id
  ROPC_CLIENT_SECRET    client secret (also the HS256 key by default), or
  ROPC_CLIENT_SECRET_FILE  a file holding it (one trailing newline stripped)
  ROPC_USERNAME         the resource owner's username
  ROPC_PASSWORD_FILE    file holding the password; otherwise asked for on the
                        terminal without echo when stdin is one, else the first
                        line of stdin
  ROPC_SCOPE            space-separated scopes (optional)
  ROPC_ISSUER           expected `iss` (optional)
  ROPC_AUDIENCE         expected `aud` (optional)
  ROPC_LEEWAY           clock leeway in seconds for exp/nbf/iat (optional, default 60)
  ROPC_CA_FILE          PEM bundle of extra trusted root certificates (optional)
  ROPC_REVOCATION_URL   the provider's RFC 7009 revocation endpoint (optional;
                        https, http only for loopback), for logout and revoke
  ROPC_TIMEOUT          whole-request timeout in seconds, per attempt
                        (optional, default 30; connecting gets at most 10 of it)
  ROPC_RETRIES          retries of a failure that may pass (optional, default 2;
                        0 turns them off; at most 10)
  ROPC_VERBOSE          1: one line on stderr for each retry
  ROPC_CLIENT_AUTH      basic (default), basic-encoded (RFC 6749 2.3.1), post,
                        or none (a public client: client_id in the body, no
                        secret needed unless tokens are verified with it)
  ROPC_EXTRA_PARAMS     form-encoded name=value&... added to the password and
                        refresh grants (e.g. audience=https%3A%2F%2Fapi.example);
                        grant_type, username, password, scope, client_id,
                        client_secret and refresh_token are refused

How access tokens are verified (set at most one; default: HS256 with the
client secret):
  ROPC_JWKS_URL         the provider's published keys (JWKS; https, http only
                        for loopback): RS256/384/512, PS256/384/512, ES256,
                        ES384, EdDSA; fetched once, again for an unknown kid at
                        most once per 5 minutes
  ROPC_JWT_KEYS_FILE    the same algorithms with keys from a file: a JWKS, one
                        JWK, or PEM public keys (read up to 64 KiB)
  ROPC_VERIFY=none      opaque access tokens: not verified; claims is null and
                        the expiry comes from expires_in
With a key set the key decides the algorithm: HS256 is never accepted, kid
selects the key, and jku/x5u/jwk/x5c headers are never used.

Secret files (ROPC_CLIENT_SECRET_FILE, ROPC_PASSWORD_FILE) are read up to 64 KiB.
A regular file that others can read or write, or its group can write, is
refused (exit 2, naming its mode): 0600, 0400, or 0640 for a service's group.

Retries: only what cannot have reached the provider (the name not resolved,
the connection refused or unreachable, connecting timed out) and answers that
say it was not processed (HTTP 429 or 503, temporarily_unavailable) are sent
again; a refresh that may have reached the provider never is (its refresh token
may have been rotated). Wait n (from 0) is random up to 0.5 s * 2^n, or what
Retry-After says when that is at most 10 s (a longer one: the error, at once).
The longest a command takes with the defaults: each request up to 3 attempts
of 30 s and 2 waits of 10 s = 110 s; `token` and `refresh` make at most 2
requests (the grant, and with ROPC_JWKS_URL the key set): 220 s; `verify`,
`revoke` and `logout` 1: 110 s; `access` at most 4 (the key set, a refresh, a
password grant, the key set again for a rotated key): 440 s.

Exit status: 0 success; 2 usage or configuration error (one line naming every
variable missing or at fault); 3 the provider refused; 4 the token failed
verification; 5 transport failure (or HTTP 429/503 left after the retries);
6 malformed or oversized provider response.
"
        )
    };
}

/// `ropc --help`: it lists `demo` only in builds that have it (feature
/// `testing`).
pub(crate) const MAIN: &str = if cfg!(feature = "testing") {
    MAIN_WITH_DEMO
} else {
    MAIN_WITHOUT_DEMO
};

const MAIN_WITH_DEMO: &str =
    main_help!("  demo                  run the whole flow against a built-in loopback provider\n");
const MAIN_WITHOUT_DEMO: &str = main_help!("");

pub(crate) const TOKEN: &str = "\
Usage: ropc token [--output FILE]

Runs the password grant with ROPC_USERNAME and the password from
ROPC_PASSWORD_FILE; without it, when stdin is a terminal, the password is
asked for on the terminal without echo; otherwise it is the first line of
stdin. Verifies the access token (see `ropc --help` for the key source) and
prints one JSON object on stdout:
  {\"token_type\", \"access_token\", \"refresh_token\", \"id_token\", \"expires_in\",
   \"scope\", \"claims\"}
`id_token` is passed through as the provider sent it (not verified) or null;
`claims` is the verified payload, or null with ROPC_VERIFY=none.

With --output FILE nothing is printed: FILE is replaced atomically (a new file
beside it, mode 0600, created with O_EXCL under a random name, written and
fsynced, then renamed over FILE), and on any failure it is left as it was.
FILE must be a regular file of yours or not exist yet, in a directory that
exists: a symbolic link, FIFO, device or directory is refused (exit 2) before
anything is sent.
";

pub(crate) const REFRESH: &str = "\
Usage: ropc refresh [--output FILE]

Reads a refresh token from the first line of stdin, runs the refresh grant,
verifies the new access token and prints the same JSON object as `ropc token`.
`refresh_token` is always the one to use next (the rotated one, or the one
passed in when the provider sent none). --output FILE as for `ropc token`.
";

pub(crate) const VERIFY: &str = "\
Usage: ropc verify

Reads a JWT from the first line of stdin and verifies it with the key source:
HS256 with ROPC_CLIENT_SECRET or ROPC_CLIENT_SECRET_FILE (the default), or
ROPC_JWKS_URL, or ROPC_JWT_KEYS_FILE (with ROPC_VERIFY=none there is nothing to
verify with: exit 2). ROPC_ISSUER, ROPC_AUDIENCE and ROPC_LEEWAY apply. Prints
the verified claims as JSON, exactly as in the token. Exit 4 names the failed
check.
";

pub(crate) const ACCESS: &str = "\
Usage: ropc access --store PATH [--output FILE]

Prints only a valid access token and a newline, for
  Authorization: Bearer $(ropc access --store PATH)
or, with --output FILE, replaces FILE with them (see below), for a job that
keeps a token file fresh:
  ropc access --store PATH --output /run/my-app/access-token
Uses the tokens in the store (created with mode 0600), refreshing when near
expiry and saving a rotated refresh token. Runs the password grant (password as
for `ropc token`: ROPC_PASSWORD_FILE, the terminal, or stdin) only when no
usable refresh token is stored; with neither, exits 3 with `login required`.

A store holds one account's tokens: it records the token URL, client id and
user (ROPC_USERNAME, needed even when a refresh token is stored) it was made
for. Used with another of them it is refused (exit 2, naming the mismatch),
its tokens never printed. A store written by an older ropc records no account
and is used; the next save records it.

PATH must name a file in a directory that exists, and the store and PATH.lock
must be regular files of yours: a missing directory, a symbolic link, FIFO,
device, directory, another user's file or a file that is not a ropc store is
refused (exit 2), before a password is read or sent, and left as it is. When
the new tokens cannot be saved, the access token is printed (or written) all
the same, one line on stderr says so, and the exit status is 2.

With --output FILE nothing is printed: FILE is replaced atomically (a new file
beside it, mode 0600, created with O_EXCL under a random name, written and
fsynced, then renamed over FILE), and on any failure it is left as it was.
FILE must be a regular file of yours or not exist yet, in a directory that
exists: a symbolic link, FIFO, device or directory is refused (exit 2) before
anything is sent.
";

pub(crate) const LOGOUT: &str = "\
Usage: ropc logout --store PATH

Ends the session. The store is checked against whatever configuration is set
(ROPC_TOKEN_URL, ROPC_CLIENT_ID, ROPC_USERNAME); a mismatch is exit 2 and
leaves the store as it is, with or without revocation; with no configuration
set, `logout` without revocation removes any ropc store it can read back. (A
store written by an older ropc, or a corrupt one, records no account to
compare with, and is removed.)

When ROPC_REVOCATION_URL is set, the stored refresh token is then revoked at
the provider: one RFC 7009 request,
  token=<refresh token>&token_type_hint=refresh_token
with the same client authentication as the token endpoint (ROPC_CLIENT_ID, the
client secret, ROPC_CLIENT_AUTH). Then the store is overwritten with zeros and
removed, whatever the revocation's outcome. PATH.lock is kept.

Exit 0 when both happened. When the revocation failed, the store is removed all
the same, one line on stderr says the token may still be valid, and the exit
status is that of the failure: 3 refused, 5 transport, 6 malformed answer; 2
when the store could not be read back (corrupt), so no token could be sent.

Configuration errors (a bad ROPC_REVOCATION_URL, missing client variables) are
exit 2 before anything is sent, and the store is left as it is. Without
ROPC_REVOCATION_URL nothing is sent and no variable is needed.

Only a ropc store (first line `ropc-store 1`) of yours is wiped: a symbolic
link, FIFO, device, directory, another user's file or any other file is
refused (exit 2) and left as it is.
";

pub(crate) const REVOKE: &str = "\
Usage: ropc revoke

Reads a refresh token from the first line of stdin and revokes it at
ROPC_REVOCATION_URL (RFC 7009): one request,
  token=<refresh token>&token_type_hint=refresh_token
with the same client authentication as the token endpoint (ROPC_CLIENT_ID, the
client secret, ROPC_CLIENT_AUTH; ROPC_TOKEN_URL is not needed). Prints nothing.
A token the provider does not know is not an error (RFC 7009 section 2.2).

Exit 0 when the provider accepted it; 2 for empty input or configuration
errors (nothing sent); 3 refused (e.g. invalid_client); 5 transport failure;
6 malformed answer.
";

/// What `ropc demo --help` says of this build.
#[cfg(feature = "testing")]
macro_rules! demo_in_this_build {
    () => {
        ".\n"
    };
}
#[cfg(not(feature = "testing"))]
macro_rules! demo_in_this_build {
    () => {
        ", which this build of ropc was built without: `ropc demo` is not in it.\n"
    };
}

pub(crate) const DEMO: &str = concat!(
    "\
Usage: ropc demo

Starts the built-in loopback provider and runs the password grant, a refresh,
a verification and a refused wrong password against it. Needs the `testing`
feature",
    demo_in_this_build!(),
);

/// The help of `command`, when it is one.
pub(crate) fn of(command: &str) -> Option<&'static str> {
    Some(match command {
        "token" => TOKEN,
        "refresh" => REFRESH,
        "verify" => VERIFY,
        "access" => ACCESS,
        "logout" => LOGOUT,
        "revoke" => REVOKE,
        "demo" => DEMO,
        "help" => MAIN,
        _ => return None,
    })
}

pub(crate) const VERSION: &str = concat!("ropc ", env!("CARGO_PKG_VERSION"), "\n");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_help_lists_demo_only_in_builds_that_have_it() {
        assert!(MAIN_WITH_DEMO.contains("\n  demo "));
        assert!(!MAIN_WITHOUT_DEMO.contains("demo"));
        assert_eq!(
            MAIN_WITH_DEMO.replace(
                "  demo                  run the whole flow against a built-in loopback provider\n",
                ""
            ),
            MAIN_WITHOUT_DEMO
        );
        assert_eq!(MAIN.contains("demo"), cfg!(feature = "testing"));
    }
}
