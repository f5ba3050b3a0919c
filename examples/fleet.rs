//! A fleet that comes back at once: 1,000 devices log in within one second,
//! the provider goes down, and when it comes back every device refreshes in
//! the same second. What does the next hour look like?
//!
//! Each device draws its refresh point as a [`ropc::Session`] does, with
//! [`Jitter::refresh_offset`] (uniform in `[exp − skew − w, exp − skew]`,
//! `w` a tenth of the token's life, at most 10 minutes), against the same
//! draw without jitter ([`Jitter::none`]: `exp − skew`, what every device
//! would pick alike). Simulated time: it runs in a few milliseconds.
//!
//!     cargo run --example fleet
// Example code: a panic is the failure report, and casts of small numbers
// need no ceremony.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::time::Duration;

use ropc::{DEFAULT_SKEW, Jitter};

const DEVICES: u64 = 1_000;
const LIFETIME: Duration = Duration::from_secs(3600);
/// The outage: from 30 minutes into the first tokens' life to 95 minutes.
const OUTAGE: (u64, u64) = (1_800, 5_700);
/// The hour after the provider is back.
const HOUR: u64 = 3_600;

fn main() {
    let without = simulate(|_| Jitter::none());
    let with = simulate(Jitter::seeded);
    println!(
        "{DEVICES} devices log in within one second; the provider is down from {} s to {} s;\n\
         when it is back they all refresh in that same second. Refresh requests per second\n\
         in the hour after it (tokens live {} s, refreshed {} s before expiry at the latest):\n",
        OUTAGE.0,
        OUTAGE.1,
        LIFETIME.as_secs(),
        DEFAULT_SKEW.as_secs()
    );
    for (name, per_second) in [("without jitter", &without), ("with jitter   ", &with)] {
        let (worst_at, worst) = per_second
            .iter()
            .enumerate()
            .max_by_key(|(at, n)| (**n, std::cmp::Reverse(*at)))
            .unwrap();
        println!(
            "{name}  {}  worst second: {worst} requests (at +{} s), {} in all",
            sparkline(per_second),
            worst_at + 1,
            per_second.iter().sum::<u32>()
        );
    }
    println!(
        "\neach column is {} s of the hour; its height, the busiest second in it on a log scale\n\
         (blank: no request; ▁ one a second; █ the whole fleet in one second)",
        HOUR / COLUMNS as u64
    );
}

/// Refresh requests in each second of the hour after the recovery second.
fn simulate(jitter_of: impl Fn(u64) -> Jitter) -> Vec<u32> {
    let mut per_second = vec![0u32; HOUR as usize];
    let back_ms = OUTAGE.1 * 1_000;
    for device in 0..DEVICES {
        let jitter = jitter_of(device);
        // Logged in during the first second (to the millisecond).
        let mut at_ms = device * 1_000 / DEVICES;
        // Refreshes until the outage; one due during it is retried until
        // the provider is back, and then made at once — the same second
        // for the whole fleet.
        loop {
            let due = at_ms + ms(jitter.refresh_offset(LIFETIME, DEFAULT_SKEW));
            if due >= OUTAGE.0 * 1_000 {
                at_ms = due.max(back_ms);
                break;
            }
            at_ms = due;
        }
        // The hour after that second.
        loop {
            at_ms += ms(jitter.refresh_offset(LIFETIME, DEFAULT_SKEW));
            let second = at_ms / 1_000 - OUTAGE.1;
            if second == 0 {
                continue;
            }
            if second > HOUR {
                break;
            }
            per_second[(second - 1) as usize] += 1;
        }
    }
    per_second
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

const COLUMNS: usize = 72;

/// The hour in [`COLUMNS`] columns, each the busiest second within it, on a
/// log scale where the whole fleet in one second is full height.
fn sparkline(per_second: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let scale = DEVICES as f64;
    per_second
        .chunks(per_second.len() / COLUMNS)
        .map(|chunk| {
            let peak = f64::from(*chunk.iter().max().unwrap());
            if peak == 0.0 {
                ' '
            } else {
                // Logarithmic: 1 request and 1,000 both show.
                let level = (peak.ln_1p() / scale.ln_1p() * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect()
}
