//! # ropc
//!
//! A small, blocking client for the OAuth 2.0 **Resource Owner Password
//! Credentials** grant (RFC 6749 §4.3), for synchronous tools on small
//! devices: it POSTs the user's username and password to the provider's token
//! URL with HTTP Basic client authentication, verifies the access token it
//! gets back — HS256 with the client secret **by hand** (HMAC-SHA256,
//! constant-time comparison) by default, or RS/PS/ES/EdDSA with the
//! provider's published keys ([`Verification`]) — refreshes it, and wipes
//! every secret it holds from memory after use.
//!
//! **Use this grant only when authorization code + PKCE cannot be used**: it
//! hands the user's password to the application. Identity providers document
//! it for exactly that case (trusted first-party devices and tools).
//!
//! ## Verifying a token
//!
//! [`jwt::verify`] is the pure HS256 verifier the client uses (its rules, in
//! the order they are checked, are in the [`jwt`] module's documentation):
//!
//! ```
//! use ropc::jwt::{verify, Validation};
//!
//! // RFC 7515 Appendix A.1: an HS256 JWS and its key.
//! let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
//!     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
//!     .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
//! use base64::Engine as _;
//! let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(
//!     "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
//! ).unwrap();
//!
//! // The token expired in 2011: verify it with a clock set before that.
//! let validation = Validation::default().issuer("joe").at(1_300_819_000);
//! let claims = verify(token, &key, &validation)?;
//! assert_eq!(claims.iss(), Some("joe"));
//! assert_eq!(claims.get("http://example.com/is_root"), Some(serde_json::Value::Bool(true)));
//!
//! // With today's clock it is refused, and the error says why.
//! let err = verify(token, &key, &Validation::default()).unwrap_err();
//! assert_eq!(err.kind(), "expired");
//! # Ok::<(), ropc::jwt::JwtError>(())
//! ```
//!
//! ## Getting tokens
//!
//! ```no_run
//! use ropc::{Client, Secret};
//!
//! let client = Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
//!     .issuer("https://id.example")
//!     .build()?;
//! let password = Secret::from("correct horse battery staple");
//! let tokens = client.password_grant("alice", &password, &["openid", "email"])?;
//! println!("hello {:?}, token valid until {:?}", tokens.claims().sub(), tokens.expires_at());
//! let tokens = client.refresh(&tokens)?;
//! # Ok::<(), ropc::Error>(())
//! ```
//!
//! A program that runs again and again keeps its tokens in a [`Session`]
//! with a [`FileStore`], and gets a valid access token with one call that
//! refreshes when due and logs in again only when the refresh token is gone:
//!
//! ```no_run
//! use ropc::{Client, FileStore, Secret, Session};
//!
//! fn bearer(session: &Session) -> Result<Secret, Box<dyn std::error::Error>> {
//!     session.access_token_or_login("alice", &["openid"], || {
//!         Ok(Secret::from_file("/etc/my-app/password")?) // read only for a login
//!     })
//! }
//!
//! let client = Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
//!     .build()?;
//! let session = Session::with_store_for(client, FileStore::new("/var/lib/my-app/tokens"), "alice")?;
//! let token = bearer(&session)?; // every run: the same call
//! # let _ = token;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A runnable version against the built-in loopback provider is
//! `cargo run --example demo`, and `ropc::testing::Provider` (feature
//! `testing`) lets your own tests do the same offline.
//!
//! ## Map
//!
//! * [`Client`], [`ClientBuilder`], [`Tokens`]: the token endpoint. A
//!   request flows one way: the form body and Basic credentials are built in
//!   zeroized buffers, one POST is the only I/O, the reply is interpreted
//!   (RFC 6749 §5, redacted), the access token verified. The builder's
//!   documentation has the defaults (and the ureq defaults ropc overrides on
//!   purpose), TLS and trust;
//! * [`Verification`]: how access tokens are verified — the client secret,
//!   a JWKS URL, keys given, or not at all (opaque tokens);
//! * [`jwt`]: HS256 verification, key sets (`jwt::KeySet`: RS/PS/ES/EdDSA)
//!   and claim validation (pure);
//! * [`Secret`]: a string wiped on drop, redacted when printed;
//! * [`Session`], [`TokenStore`], [`FileStore`]: staying logged in across
//!   calls and processes ([`Session::access_token_or_login`]: a valid token
//!   in one call, the password asked for only when a login is needed);
//! * [`Clock`], [`ManualClock`], [`Jitter`], [`RetryPolicy`]: devices with a
//!   wrong clock, a flaky link, a fleet;
//! * [`Error`]: one error type; no message ever holds a secret;
//! * `testing` (feature `testing`): a real token endpoint on loopback;
//! * the `ropc` command (feature `cli`): the same for shell scripts, with
//!   its contract in `ropc --help`.
//!
//! ## Features and policies
//!
//! | feature | default | what |
//! | --- | --- | --- |
//! | `rustls` | yes | TLS through rustls (*ring*), Mozilla's roots; turns on `asymmetric` |
//! | `native-tls` | no | TLS through the platform library (OpenSSL on Linux) |
//! | `asymmetric` | with `rustls` | RS/PS/ES/EdDSA access tokens (`jwt::KeySet`, [`Verification`]'s `JwksUrl` and `Keys`), with ring's signature checks; a build without TLS or with native-tls turns it on to get them |
//! | `testing` | no | `ropc::testing::Provider`, a loopback token endpoint with a protected resource and a revocation endpoint (dev-dependency use) |
//! | `prompt` | no | `Secret::prompt`: a secret read on the terminal without echo (the `rpassword` crate) |
//! | `cli` | no | the `ropc` binary (`cargo install --path . --features cli`); turns on `prompt` |
//! | `_fuzz` | no | internal: the parsers for ropc's own fuzz targets and tests, no semver promise — do not use |
//!
//! * **Minimum Rust: 1.89** (`std::fs::File::lock` for the token store; the
//!   dependencies need 1.88).
//! * **No `unsafe`.** The library is `#![forbid(unsafe_code)]`, and so is
//!   the `ropc` binary; the only `unsafe` in the repository is the scanning
//!   allocator of `tests/integration/zeroize.rs` and the counting allocator
//!   of `examples/bench.rs`.
//! * **Logging.** ropc itself logs nothing (see
//!   [Security considerations](#security-considerations) for ureq's `TRACE`).
//! * **Retries.** A request is sent again only as the client's
//!   [`RetryPolicy`] allows (by default twice), and never when it may have
//!   reached the provider.
//! * **Blocking.** No async runtime: one `ureq` agent per [`Client`], its
//!   connections kept alive between calls.
//!
//! ## Security considerations
//!
//! What ropc promises, in short: secrets never come out in a message
//! (`Debug`, `Display`, errors: [`Secret`], [`Error`]); the password, the
//! client secret and the tokens are wiped from memory by ropc after use,
//! and what it cannot reach is listed below; a token is verified before it
//! is handed out ([`jwt`], [`Verification`]); nothing goes over plain `http`
//! except to loopback, no redirect is followed, no response is read past
//! its cap ([`ClientBuilder`]); the token store never writes through what
//! it did not create ([`FileStore`]).
//!
//! ### Logging: never `TRACE` for ureq
//!
//! ropc logs nothing. **ureq logs the whole HTTP exchange, unredacted, at
//! `TRACE` level** (the `log` crate; its own documentation says so): never
//! enable `TRACE` for `ureq` in production, or passwords, client secrets and
//! tokens end up in your logs.
//!
//! ### What is wiped and what is not
//!
//! ropc holds the password, the client secret and the tokens only in
//! buffers it wipes (`zeroize`) before they are freed, sized once so that
//! no reallocation leaves an unwiped copy behind:
//!
//! | what | where it lives | wiped |
//! | --- | --- | --- |
//! | password, refresh token sent | [`Secret`]; the form body (exact-size zeroized buffer); ureq's output buffer (ropc's transport wrapper zeroes what was sent right after sending) | yes |
//! | client secret | [`Secret`] in the [`Client`]; the Basic header value (a zeroized buffer that `http` owns through `Bytes::from_owner`, wiped when ureq drops the request); the HMAC key state (`hmac`/`sha2` with their `zeroize` feature) | yes |
//! | response body | a zeroized buffer capped at 64 KiB that grows by replacement; ureq's input buffer, wiped once consumed (when the connection is next used) and when the connection is dropped | yes |
//! | access, refresh and ID tokens | [`Secret`]s in [`Tokens`]; the JWT payload decoded into a zeroized buffer held by [`Claims`]; token-response strings unescaped by ropc itself, not in serde_json's scratch buffer | yes |
//! | CLI input and output | the password and refresh token are read from stdin unbuffered into zeroized buffers; the JSON output is built in a zeroized buffer and written unbuffered (std's stdin/stdout buffers are never freed or wiped, so ropc bypasses them) | yes |
//! | `ROPC_CLIENT_SECRET` | the process environment block | the `ropc` binary overwrites it once read (Linux); a library user's own environment is theirs — prefer `ROPC_CLIENT_SECRET_FILE` |
//! | claims you read out | [`Claims::get`], [`Claims::to_value`] and `Serialize` build ordinary `serde_json::Value`s, yours to keep or drop; JWT claims with JSON escapes pass through serde_json's scratch buffer | **no** |
//! | TLS | rustls's (or OpenSSL's) own record and plaintext buffers | by the `ropc` binary's wipe-on-free allocator; **no** in a program without one (measured below) |
//! | stack copies | the HMAC key block, base64 and TLS working buffers left below the live frames | by the `ropc` binary's stack scrub; **no** in a program without one |
//! | the kernel | socket buffers, pipe buffers, page cache | **no** |
//! | the token store on disk | mode 0600; clearing it ([`TokenStore::clear`], `ropc logout`) overwrites the file with zeros before unlinking, but journaling file systems and flash wear levelling may keep old blocks | partly |
//!
//! Every string taken from a response (the `error` code, `token_type`,
//! descriptions, URIs, error-page excerpts) has the request's secrets
//! redacted — as sent, in either case, form- and percent-encoded,
//! JSON-escaped the ways encoders write it (serde_json's, PHP's `\/`,
//! Python's and PHP's `\uXXXX` beyond ASCII), as HTML entities, base64 and
//! as Basic credentials — *before* it is cut to length, so no part of a
//! secret survives at the cut; every byte any of those covers is hidden, so
//! overlapping secrets cannot leave each other's tails.
//!
//! ### How that is checked
//!
//! It is proved, not promised. `tests/integration/zeroize.rs` installs a
//! global allocator (the integration-test binary's) that scans every block as
//! it is freed for unique marker values (password, client secret, Basic
//! credentials, access and refresh tokens) and counts the blocks freed while
//! still holding one. Run by `cargo test` (and so by CI):
//!
//! | what is driven | blocks freed holding a secret |
//! | --- | --- |
//! | the crate's own code without the network: form and Basic building, response parsing (with and without JSON escapes), `jwt::verify`, `Client`, `Tokens`, `Session`, the file store | **0** (asserted) |
//! | a full password grant + refresh over loopback `http`, provider in a child process | **0** (asserted) |
//! | the same without ropc's transport wrapper (measured once, by hand, when ureq's buffers were its 128 KiB defaults) | 2: ureq's 128 KiB input and output buffers, holding the Basic credentials, the refresh tokens and an access token |
//! | the same over `https` with rustls | 3–4 (printed, not asserted): rustls's own received-plaintext buffers (495-, 96- and 4096-byte blocks) holding the access and refresh tokens; the password and the client secret: 0 |
//!
//! The error paths are held to the same rule (asserted 0): a provider
//! quoting the password in its error description, an HTML 502 page echoing
//! the whole request (body and Basic credentials), a wrong password, a dead
//! refresh token, each error shown with `Display` and `Debug` before it is
//! dropped.
//!
//! `tests/core_image.sh` runs the `ropc` binary (release build) against the
//! loopback provider under gdb, stops it at the `exit_group` system call,
//! writes its core image with `gcore` and counts each marker in it; CI runs
//! it and fails on any count other than 0:
//!
//! | case | password | client secret | Basic | access token | refresh token |
//! | --- | ---: | ---: | ---: | ---: | ---: |
//! | `token`, http, secret from env or file, password from stdin or file (4 rows) | 0 | 0 | 0 | 0 | 0 |
//! | `token`, https (a test CA in `ROPC_CA_FILE`), secret from env / file | 0 | 0 | 0 | 0 | 0 |
//! | `refresh`, https | 0 | 0 | 0 | 0 | 0 |
//! | `revoke`, https | 0 | 0 | 0 | – | 0 |
//! | `access --output`, https, logging in (password on stdin) / from the store | 0 | 0 | 0 | 0 | 0 |
//! | `logout`, revoking over https | 0 | 0 | 0 | 0 | 0 |
//! | `verify` of a token signed with another key | 0 | 0 | 0 | 0 | – |
//! | `token` refused: `invalid_grant` | 0 | 0 | 0 | – | – |
//! | `token` refused: the description quotes the password | 0 | 0 | 0 | – | – |
//! | `token` refused: HTML 502 echoing the request, http / https | 0 | 0 | 0 | – | – |
//!
//! (`bash tests/core_image.sh`, gdb 13.1, Linux x86_64.) Before the binary
//! did its own hygiene the same script found: the client secret
//! once in every row that passed it in `ROPC_CLIENT_SECRET` (the
//! environment block), the access and refresh tokens once each over https
//! (rustls buffers freed unwiped), the password and the Basic credentials
//! twice each in the https error page row, and the client secret once after
//! `verify` with another key (the HMAC key block on the stack).
//!
//! ### What the `ropc` binary does beyond the library
//!
//! `src/bin/ropc/hygiene.rs`: a **wipe-on-free global allocator**
//! (`zeroizing-alloc`, around the system allocator), so every heap block is
//! zeroed when freed — rustls's, ureq's and std's included; the **main
//! thread's stack is overwritten** (as deep as it was ever used, `VmStk`)
//! after every secret has been dropped and before the process exits; and a
//! client secret from `ROPC_CLIENT_SECRET` is **overwritten in the
//! environment block** once read (Linux, through `/proc/self/mem`; elsewhere
//! it stays: prefer `ROPC_CLIENT_SECRET_FILE`).
//!
//! The cost, measured by `bash examples/footprint.sh` (device profile,
//! rustls, one `ropc token` to the loopback provider; 2026-12-01): peak RSS
//! 3,260 KiB against 3,236 KiB without (http), 3,736 against 3,776 KiB
//! (https); wall time 7.0 against 6.1 ms (http) and 8.0 against 8.0 ms
//! (https), process start included, medians of 15 runs. It costs no
//! measurable size.
//!
//! ### Leaving no secret behind in your own binary
//!
//! ropc wipes every buffer it owns, on the error paths too. What it cannot
//! reach is memory other code frees or leaves behind: the TLS library's
//! buffers, std's, the copies that `hmac`, `base64` or the TLS library make
//! on the stack, and the process environment. A program linking ropc can do
//! what the `ropc` binary does, in three steps:
//!
//! 1. a wipe-on-free global allocator, e.g. the `zeroizing-alloc` crate
//!    (there is no `unsafe` to write):
//!
//!    ```
//!    #[global_allocator]
//!    static WIPE_ON_FREE: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
//!        zeroizing_alloc::ZeroAlloc(std::alloc::System);
//!    # fn main() {}
//!    ```
//!
//! 2. once the secrets are dropped, before the process exits, overwrite the
//!    stack below the caller (as deep as it was used: `VmStk` in
//!    `/proc/self/status`, 16 KiB a call):
//!
//!    ```
//!    use zeroize::Zeroize as _;
//!
//!    #[inline(never)]
//!    fn scrub(chunks: usize) {
//!        let mut block = [0xA5u8; 16 * 1024];
//!        block.zeroize(); // volatile writes: not optimised away
//!        std::hint::black_box(&mut block);
//!        if chunks > 1 {
//!            scrub(chunks - 1);
//!        }
//!        std::hint::black_box(&block); // no tail call: every frame is real
//!    }
//!    scrub(16); // 256 KiB
//!    ```
//!
//! 3. keep secrets out of the environment (read them from files), and never
//!    end with `std::process::exit` while secrets are alive: return from
//!    `main` so every destructor runs.
//!
//! ### Reducing exposure further
//!
//! That is the deployment's job: run ropc as a short-lived process
//! (`ropc access` exits right after printing); disable swap or lock the
//! process in memory (`mlockall`) where secrets must never reach disk;
//! disable core dumps (`ulimit -c 0`, `prctl(PR_SET_DUMPABLE, 0)`,
//! `fs.suid_dumpable=0`); keep the store on tmpfs when the device can afford
//! to log in again after a reboot. And never enable `TRACE` logging for
//! `ureq` (above).
//!
//! ### TLS
//!
//! Mozilla's roots are built in; a private CA is trusted *in addition* to
//! them, or instead of them, never by turning verification off. Under
//! native-tls a CA certificate used as the server's leaf is accepted (rustls
//! refuses it): prefer rustls where that matters. See [`ClientBuilder`]'s
//! "TLS and trust".
//!
//! ## Performance and footprint
//!
//! ```sh
//! cargo run --release --example bench   # the table below (add `taskset -c 0` for steadier round trips)
//! bash examples/footprint.sh            # builds the device profile, prints sizes, crate counts, peak RSS
//! ```
//!
//! Measured 2026-12-01 on this project's CI machine kind: a 2-vCPU Linux VM
//! (`nproc` 2, Intel Xeon), rustc 1.95.0. The VM's neighbours are noisy: the
//! same binary's verify/floor ratio moves between runs by up to a third, so
//! several runs are quoted.
//!
//! [`jwt::verify`] on a realistic 887-character HS256 access token (iss,
//! sub, aud array, exp, nbf, iat, jti, scope, custom claims; issuer and
//! audience checked), against the floor any HS256 verifier pays in the same
//! run: HMAC-SHA256 over `header.payload` (key setup included), the
//! 43-character tag's base64url decode and a constant-time compare. Medians
//! of 31 rounds:
//!
//! | operation | median | × HMAC floor | heap allocations | heap bytes |
//! | --- | ---: | ---: | ---: | ---: |
//! | `jwt::verify` (quiet run) | 2.67 µs | 2.89 | 1 | 604 |
//! | HMAC floor (same run) | 0.92 µs | 1.00 | 0 | 0 |
//! | response parse, 1,081-byte token response | 1.1–1.6 µs | — | 5 | 1,060 |
//! | password grant, loopback, keep-alive (HTTP + parse + verify) | 0.08 ms | — | 154 | 14,484 |
//! | refresh grant, loopback, keep-alive | 0.09 ms | — | 142 | 14,636 |
//!
//! In quiet runs the ratio was 2.89–3.0; with busy neighbours 3.35–4.2 (for
//! that commit and for earlier ones alike: the parse is memory-bound, the
//! SHA-256 is not); the fastest round is steady at ~2.9 × (2.5 µs against
//! 0.87 µs). Round trips are from `taskset -c 0` runs. For comparison,
//! measured earlier on the same machine kind: the `jsonwebtoken` crate
//! ~7.0 × the floor with 30 allocations.
//!
//! The one allocation is the zeroized buffer holding the decoded payload.
//! There is one JSON parser in ropc, serde_json: the header and payload are
//! read by strict visitors (duplicate member names refused at every depth,
//! registered claims typed, borrowed from the payload rather than copied),
//! base64url is `base64`'s strict decoding. The payload's time goes to the
//! base64 decode (~15 %), serde_json's string scanning (~15 %) and the
//! duplicate-name check (~6 %, a 64-bit summary of the names seen skipping
//! most comparisons). An earlier hand-written reader was ~0.8 µs faster; it
//! was a second parser to audit and could disagree with serde_json, so it
//! is gone.
//!
//! The `ropc` binary with the device profile (`[profile.device]` in
//! Cargo.toml: opt-level "z", LTO, one codegen unit, panic = "abort",
//! stripped) — recommended for devices:
//!
//! ```sh
//! cargo build --profile device --features cli                          # rustls
//! cargo build --profile device --no-default-features --features cli    # loopback http only
//! ```
//!
//! | build (2026-12-01) | stripped size | crates (`cargo tree -e normal`, ropc excluded) | peak RSS, one `ropc token` over http to 127.0.0.1 |
//! | --- | ---: | ---: | ---: |
//! | default features (rustls) | 1,780 KiB (1.74 MiB, 1.82 MB) | 38 | 3,224 KiB (3.15 MiB) |
//! | no TLS | 801 KiB (0.78 MiB, 0.82 MB) | 30 | 2,552 KiB (2.49 MiB) |
//!
//! Over https to localhost with a private CA in `ROPC_CA_FILE` (added to the
//! built-in roots), the rustls build peaked at 3,708 KiB (3.62 MiB). About
//! 175 KiB of either binary is std's panic and backtrace machinery, which
//! only a nightly `-Zbuild-std` build can remove; ring's P-256 tables are
//! another 151 KiB of the rustls build; serde_json's exact float parsing
//! (`float_roundtrip`, which keeps [`Claims::get`] exact) about 20 KiB. The
//! binary's hygiene (wipe-on-free allocator, stack scrub) costs no
//! measurable size and ~0–50 KiB of peak RSS; `examples/footprint.sh` prints
//! it beside a build without it. A plain release build
//! (`cargo install --path . --features cli`) was 3.8 MB. The dependencies
//! have grown since (the clock, retries and key sets): on 2026-12-05
//! `cargo tree -e normal --prefix none --features cli`, each crate counted
//! once, lists 42 crates besides ropc with rustls and 34 without TLS.
//!
//! ## Testing
//!
//! `cargo test` runs everything — unit tests, the doctests (the README's
//! examples among them), the JWT vectors, the client and the `ropc` binary
//! against the loopback provider over real sockets; nothing needs Python or
//! any network beyond 127.0.0.1. The JWT test vectors in `tests/vectors/`
//! were generated once by an independent implementation (PyJWT 2.15 plus
//! Python's `hmac`, `tests/gen/make_vectors.py`) and are committed as data:
//! 54 valid tokens with their expected claims and 267 adversarial ones, each
//! with the error kind it must produce.
//!
//! In the packaged crate (what `cargo package` makes, and distribution
//! packagers build), the dev-dependency through which a checkout's tests get
//! the `testing`, `cli` and `_fuzz` features is dropped by cargo: there
//! `cargo test` runs the tests that need no feature (unit tests, doctests,
//! the JWT rules and vectors, the store), and
//! `cargo test --features testing,cli,_fuzz` runs all of them. CI runs both
//! on the packaged crate.
//!
//! Fuzzing: `fuzz/` holds cargo-fuzz targets for the pure core
//! ([`jwt::verify`], key sets, token and error response parsing, form and
//! Basic encoding, the redaction of secrets from provider text, the token
//! store's file format). They check more than "no panic": accepted tokens must
//! re-verify to the same claims and agree with serde_json's reading of the
//! payload; every validation option must give the answer a model of the
//! documented rules gives; any one-byte change or a different key must be
//! rejected; encodings must round-trip through decoders written
//! independently in the fuzz crate. `bash fuzz/run.sh 30` runs every target
//! for 30 s (CI does this) and fails on any crash; `bash fuzz/coverage.sh`
//! reports coverage. A 10-minute-per-target run of the six targets there
//! were then (`bash fuzz/run.sh --keep-going 600`, nightly 1.97, one core;
//! 45.7 million executions in all) covered 93.7 % of the lines of the fuzzed
//! modules:
//!
//! | target | seconds | executions | exec/s | crashes | line coverage |
//! | --- | ---: | ---: | ---: | --- | --- |
//! | jwt_verify | 605 | 8,268,982 | 12,089 | 0 | jwt + json 89.5 % |
//! | jwt_forgery | 609 | 473,374 | 778 | 0 | jwt + json 81.0 % |
//! | token_response | 607 | 10,286,625 | 20,218 | 0 | response.rs 87.0 % |
//! | error_response | 607 | 4,113,973 | 6,181 | 0 | response.rs 45.6 % |
//! | form_roundtrip | 602 | 6,359,660 | 6,598 | 0 | form.rs 56.4 % |
//! | basic_roundtrip | 602 | 7,045,308 | 9,518 | 0 | form.rs 74.5 % |
//!
//! It found a panic on a multi-byte `typ` header (reachable before the
//! signature check) and float claims read back one ULP off; both are fixed
//! and kept as regression tests in `tests/integration/fuzz_regressions.rs`.
//! Three targets came later: `jwt_keys` (key sets), `redactor` (no spelling of a
//! real secret survives redaction) and `store_file` (the store file
//! parser); they found a cut store read as whole and a JSON spelling the
//! redactor missed, both fixed. Details, their figures and the exact
//! commands are in `fuzz/README.md`.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod client;
mod clock;
mod error;
mod form;
mod grant;
mod http;
mod json;
pub mod jwt;
mod redact;
mod response;
mod secret;
mod session;
mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod tokens;

pub use client::{
    BACKOFF_BASE, Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_RETRIES, DEFAULT_TIMEOUT, JWKS_REFETCH_COOLDOWN, MAX_CA_BUNDLE_SIZE, MAX_RETRY_AFTER,
    RESERVED_PARAMS, Retry, RetryPolicy, TokenTypeHint, Verification,
};
pub use clock::{Clock, Jitter, MAX_REFRESH_WINDOW, ManualClock};
pub use error::{
    ConfigError, Endpoint, Error, OAuthError, Setting, StoreError, StoreErrorKind, TransportError,
    TransportKind,
};
pub use form::ClientAuth;
pub use http::USER_AGENT;
pub use jwt::{Claims, JwtError, Validation};
pub use response::{ErrorCode, ErrorResponse, ResponseError, ResponseProblem};
pub use secret::{MAX_SECRET_SIZE, Secret};
pub use session::{DEFAULT_SKEW, Session};
pub use store::{FileStore, StoreLock, StoredTokens, TokenStore};
pub use tokens::Tokens;

/// The README's Rust examples, compiled (and run where they can be) as
/// doctests. Its loopback-provider example needs the `testing` feature.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What a downstream crate cannot name: the internals are private (each
/// block must fail to compile).
///
/// ```compile_fail,E0603
/// let _ = ropc::form::encode(&[("a", "b")]);
/// ```
///
/// ```compile_fail,E0603
/// let _ = ropc::response::parse(b"{}");
/// ```
///
/// ```compile_fail,E0412
/// let _: ropc::Zeroizing<String> = Default::default();
/// ```
///
/// ```compile_fail,E0624
/// let _ = ropc::ConfigError::new(ropc::Setting::TokenUrl, "reason");
/// ```
#[cfg(doctest)]
struct PrivateInternals;

/// What the `ropc` binary (feature `cli`) needs of the library's insides:
/// writing `--output FILE` exactly as the token store writes its file. Not
/// part of the API: no semver promise, may change in any release; do not
/// use.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod _cli {
    use std::path::Path;

    /// Whether [`replace_file`] may replace `path`: it names a file in a
    /// directory that exists, and holds nothing or a regular file of the
    /// current user's (a symbolic link, FIFO, device, socket or directory is
    /// refused, as the token store refuses them). Nothing is created.
    ///
    /// # Errors
    ///
    /// Why it may not, as one phrase.
    pub fn check_output(path: &Path) -> Result<(), String> {
        crate::store::check_replaceable(path).map_err(|r| r.why)
    }

    /// Replaces `path` with `bytes` as the token store replaces its file:
    /// after [`check_output`], a temporary file beside it (mode 0600,
    /// `O_EXCL`, a random name), `fsync`, `rename` over `path`, `fsync` of
    /// the directory. On any failure `path` is left as it was.
    ///
    /// # Errors
    ///
    /// Why it was refused or failed, as one phrase.
    pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
        check_output(path)?;
        crate::store::replace_atomically(path, bytes).map_err(|r| r.why)
    }
}

/// The parsers and encoders the fuzz targets call. Not part of the API: no
/// semver promise, may change in any release. Feature `_fuzz`; do not use.
#[cfg(feature = "_fuzz")]
#[doc(hidden)]
pub mod _fuzz {
    pub use crate::form::{
        basic_authorization, decode, decode_component, encode, encoded_len,
        parse_basic_authorization,
    };
    pub use crate::response::{Parsed, TokenResponse};

    /// Parses a token endpoint response with nothing to redact.
    ///
    /// # Errors
    ///
    /// As the client's own parsing.
    pub fn parse_response(body: &[u8]) -> Result<Parsed, crate::ResponseError> {
        crate::response::parse(body, &crate::redact::Redactor::none())
    }

    /// The error code as ropc reads it from the wire.
    #[must_use]
    pub fn error_code(code: &str) -> crate::ErrorCode {
        crate::ErrorCode::from_wire(code, &crate::redact::Redactor::none())
    }

    /// Provider text as ropc shows it: printable, at most `max` characters.
    #[must_use]
    pub fn sanitize(text: &str, max: usize) -> String {
        crate::redact::Redactor::none().clean(text.as_bytes(), max)
    }

    /// Provider text as ropc shows it from the reply to a request
    /// authenticated as `client_id`/`client_secret` and carrying `values`
    /// (the password, a refresh token): every spelling of every secret
    /// redacted, printable, at most `max` characters.
    #[must_use]
    pub fn redact(
        client_id: &str,
        client_secret: &str,
        values: &[&str],
        text: &[u8],
        max: usize,
    ) -> String {
        crate::redact::Redactor::for_request(client_id, client_secret, values).clean(text, max)
    }

    /// A store file's content as `FileStore::load` reads it (after its size
    /// cap and its `ropc-store 1` first-line check).
    ///
    /// # Errors
    ///
    /// Why the text is not a whole store, as `FileStore::load` says it.
    pub fn parse_store(bytes: &[u8]) -> Result<crate::StoredTokens, &'static str> {
        crate::store::parse_text(bytes)
    }

    /// The text `FileStore::save` writes for `tokens`.
    ///
    /// # Errors
    ///
    /// Tokens the store cannot keep, as `FileStore::save` says it.
    pub fn serialize_store(
        tokens: &crate::StoredTokens,
    ) -> Result<zeroize::Zeroizing<String>, &'static str> {
        crate::store::serialize_text(tokens)
    }
}
