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
use ropc::{Client, Error, Secret, TokenTypeHint};

/// Calls the provider's protected resource with `Authorization: Bearer …`,
/// as a tool would call its API, and returns what it says.
fn call_api(url: &str, access_token: &Secret) -> Result<String, Box<dyn std::error::Error>> {
    let mut response = ureq::get(url)
        .header("Authorization", access_token.bearer().expose_secret())
        .call()?;
    Ok(response.body_mut().read_to_string()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = Provider::start()?;
    println!("provider:    {} (loopback, HS256 tokens)", provider.url());

    let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .issuer(provider.issuer())
        .audience(DEMO_CLIENT_ID)
        .revocation_url(provider.revocation_url())
        .build()?;

    // 1. Log in: the password grant, username and password for verified tokens.
    let password = Secret::from(DEMO_PASSWORD);
    let tokens = client.password_grant(DEMO_USERNAME, &password, &["openid", "email"])?;
    drop(password); // wiped
    println!(
        "logged in:   {} — access token valid {} s, scope \"{}\"",
        tokens.claims().sub().unwrap_or("?"),
        tokens.expires_in().unwrap_or(0),
        tokens.scope().unwrap_or(""),
    );
    println!("claims:      {}", tokens.claims().as_json());

    // 2. Call the API with the access token.
    println!(
        "API says:    {}",
        call_api(&provider.userinfo_url(), tokens.access_token())?
    );

    // 3. Refresh: a new access token, and the provider rotates the refresh token.
    let refreshed = client.refresh(&tokens)?;
    println!(
        "refreshed:   new access token (jti {}), refresh token rotated: {}",
        refreshed.claims().jti().unwrap_or("?"),
        if refreshed.refresh_token() != tokens.refresh_token() {
            "yes"
        } else {
            "no"
        },
    );

    // 4. Call the API again, with the new token.
    println!(
        "API says:    {}",
        call_api(&provider.userinfo_url(), refreshed.access_token())?
    );

    // 5. A wrong password is refused by the provider with invalid_grant.
    match client.password_grant(DEMO_USERNAME, &Secret::from("not-the-password"), &[]) {
        Err(Error::OAuth(e)) => println!("wrong pw:    refused: {}", e.response),
        other => return Err(format!("a wrong password was not refused: {other:?}").into()),
    }

    // 6. Log out: the refresh token is revoked at the provider (RFC 7009)…
    let refresh_token = refreshed
        .refresh_token()
        .ok_or("no refresh token to revoke")?;
    client.revoke(refresh_token, TokenTypeHint::RefreshToken)?;
    // … so it is dead: a refresh with it is refused.
    match client.refresh(&refreshed) {
        Err(Error::OAuth(e)) => println!(
            "logged out:  refresh token revoked; refresh refused: {}",
            e.response.code
        ),
        other => return Err(format!("a revoked refresh token still worked: {other:?}").into()),
    }

    println!(
        "requests:    {} over {} connection(s)",
        provider.requests(),
        provider.connections()
    );
    Ok(())
}
