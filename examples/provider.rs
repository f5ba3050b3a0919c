//! Serves the loopback provider with the client and user named by the
//! environment, for scripts that need values of their own (e.g.
//! `tests/core_image.sh`, which looks for unique marker values).
//!
//! ```sh
//! ROPC_CLIENT_ID=app ROPC_CLIENT_SECRET=s ROPC_USERNAME=u ROPC_PASSWORD=p \
//!     cargo run --example provider -- 60
//! ```
//!
//! Prints the token URL on stdout, then serves for the given number of
//! seconds (default 60).

use std::io::Write;
use std::time::Duration;

use ropc::testing::Provider;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let seconds: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse().map_err(|_| "usage: provider [SECONDS]")?,
        None => 60,
    };
    let provider = Provider::builder()
        .client(var("ROPC_CLIENT_ID")?, var("ROPC_CLIENT_SECRET")?)
        .user(var("ROPC_USERNAME")?, var("ROPC_PASSWORD")?)
        .start()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", provider.url())?;
    out.flush()?;
    drop(out);
    std::thread::sleep(Duration::from_secs(seconds));
    Ok(())
}
