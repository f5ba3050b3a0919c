//! ropc's integration tests: one test binary (`cargo test --test
//! integration`), one module per subject, sharing `common`.
//!
//! A module that needs a feature of the package (the loopback provider,
//! `testing`; the `ropc` binary, `cli`; the parsers' hook, `_fuzz`; the key
//! sets, `asymmetric`; a TLS feature) is compiled only with it: in a
//! checkout the dev-dependency on ropc itself turns `testing`, `cli` and
//! `_fuzz` on, so `cargo test` runs every module; in the packaged crate,
//! where cargo drops that dev-dependency, `cargo test` runs the modules
//! that need no feature and `cargo test --features testing,cli,_fuzz` all
//! of them. A test's name in this binary is its module path (`cli::...`,
//! `session::store::...`): what `--exact` and `--skip` take.
//!
//! `zeroize` installs this binary's global allocator (it scans freed
//! blocks only while one of its own tests asks it to).

// Test code: a panic is the failure report, and casts of small numbers need
// no ceremony.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless,
    clippy::cast_precision_loss
)]

mod common;

#[cfg(all(feature = "testing", feature = "asymmetric"))]
mod any_provider;
#[cfg(all(feature = "testing", feature = "cli"))]
mod cli;
#[cfg(all(feature = "testing", feature = "cli", feature = "asymmetric"))]
mod cli_any_provider;
#[cfg(all(feature = "testing", feature = "cli"))]
mod cli_devices;
#[cfg(all(unix, feature = "testing", feature = "cli"))]
mod cli_revocation;
#[cfg(feature = "testing")]
mod client_flow;
#[cfg(feature = "testing")]
mod devices;
#[cfg(feature = "_fuzz")]
mod fuzz_regressions;
#[cfg(feature = "asymmetric")]
mod jwt_keys_rules;
#[cfg(feature = "asymmetric")]
mod jwt_keys_vectors;
mod jwt_rules;
mod jwt_vectors;
#[cfg(feature = "testing")]
mod provider;
#[cfg(all(feature = "testing", feature = "_fuzz"))]
mod redaction;
#[cfg(feature = "testing")]
mod revocation;
#[cfg(all(feature = "testing", feature = "cli"))]
mod session;
#[cfg(unix)]
mod store;
#[cfg(all(
    feature = "testing",
    feature = "cli",
    any(feature = "rustls", feature = "native-tls")
))]
mod tls;
#[cfg(all(feature = "testing", feature = "_fuzz"))]
mod zeroize;
