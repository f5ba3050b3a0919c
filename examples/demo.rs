//! The whole password-grant flow against ropc's embedded loopback provider:
//! no network, no configuration.
//!
//! ```sh
//! cargo run --example demo
//! ```
// Test and example code: a panic is the failure report, and casts of small
// numbers need no ceremony.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless,
    clippy::cast_precision_loss
)]

use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
use ropc::{Client, Error, Secret};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = Provider::start()?;
    println!("provider:   {} (loopback, HS256 tokens)", provider.url());

    let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .issuer(provider.issuer())
        .audience(DEMO_CLIENT_ID)
        .build()?;

    // 1. The password grant: username + password for verified tokens.
    let password = Secret::from(DEMO_PASSWORD);
    let tokens = client.password_grant(DEMO_USERNAME, &password, &["openid", "email"])?;
    println!(
        "grant:      ok, token_type Bearer, expires_in {:?} s",
        tokens.expires_in()
    );
    println!("claims:     {}", tokens.claims().as_json());
    println!("expires at: {:?} (unix seconds)", tokens.expires_at());
    println!("scope:      {:?}", tokens.scope());

    // 2. Refresh: the provider rotates the refresh token.
    let refreshed = client.refresh(&tokens)?;
    let rotated = refreshed.refresh_token() != tokens.refresh_token();
    println!(
        "refresh:    ok, new access token jti {:?}, refresh token rotated: {rotated}",
        refreshed.claims().jti()
    );

    // 3. A wrong password is refused by the provider with invalid_grant.
    match client.password_grant(DEMO_USERNAME, &Secret::from("not-the-password"), &[]) {
        Err(Error::OAuth(e)) => println!("wrong pw:   refused: {}", e.response),
        other => return Err(format!("a wrong password was not refused: {other:?}").into()),
    }

    println!(
        "requests:   {} over {} connection(s)",
        provider.requests(),
        provider.connections()
    );
    Ok(())
}
