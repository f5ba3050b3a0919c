//! Serves the loopback provider (`ropc::testing::Provider::start()`, the demo
//! client and user) for shell scripts, e.g. `examples/footprint.sh`.
//!
//! ```sh
//! cargo run --example serve            # until stdin closes
//! cargo run --example serve -- 300     # for 300 seconds
//! ```
//!
//! Prints five lines on stdout, then serves: the token URL, the client id,
//! the client secret, the username and the password (the public
//! `ropc::testing::DEMO_*` constants; nothing here is a real secret).

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = match std::env::args().nth(1) {
        Some(s) => Some(s.parse::<u64>().map_err(|_| "usage: serve [SECONDS]")?),
        None => None,
    };
    let provider = Provider::start()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", provider.url())?;
        writeln!(out, "{DEMO_CLIENT_ID}")?;
        writeln!(out, "{DEMO_CLIENT_SECRET}")?;
        writeln!(out, "{DEMO_USERNAME}")?;
        writeln!(out, "{DEMO_PASSWORD}")?;
        out.flush()?;
    }
    match seconds {
        Some(s) => std::thread::sleep(Duration::from_secs(s)),
        None => {
            let (done, wait) = mpsc::channel();
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = std::io::stdin().lock().read_to_end(&mut sink);
                let _ = done.send(());
            });
            let _ = wait.recv();
        }
    }
    drop(provider);
    Ok(())
}
