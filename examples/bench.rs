//! Performance of ropc's hot paths, in one run, printed as a markdown table.
//!
//! ```sh
//! cargo run --release --example bench
//! ```
//!
//! Every figure is the median over 31 rounds of N iterations (N calibrated so
//! that a round takes about 20 ms): `ns/op` = round time / N. Heap allocations
//! and bytes are counted by a counting global allocator (this example only;
//! the library has `#![forbid(unsafe_code)]`) over the same rounds, per op.
//!
//! * `jwt::verify`: a realistic 887-character HS256 access token (iss, sub,
//!   aud array, exp, nbf, iat, jti, scope and a few custom claims), with an
//!   expected issuer and audience and a fixed clock.
//! * the HMAC floor: what no HS256 verifier can avoid — HMAC-SHA256 keyed with
//!   the key over the `header.payload` bytes, the 43-character tag
//!   base64url-decoded, and a constant-time compare (`Mac::verify_slice`).
//! * `response::parse`: a token response carrying that token, a refresh
//!   token, `expires_in` and `scope`.
//! * a password grant and a refresh grant against the loopback provider
//!   (`ropc::testing::Provider`), over one kept-alive connection, each a full
//!   HTTP round trip, response parse and token verification.
//!
//! It prints; it does not assert.
//!
//! The loopback round trips wake the provider's thread from the client's and
//! back: on a small machine whose other CPU is busy, a wake-up can wait for
//! the next scheduler tick (4 ms at 250 Hz), which then dominates the
//! median. `taskset -c 0 cargo run --release --example bench` keeps both on
//! one CPU; the fastest round is printed as well.
// Test and example code: a panic is the failure report, and casts of small
// numbers need no ceremony.
#![allow(
    unsafe_code, // the counting allocator, this file only
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless,
    clippy::cast_precision_loss
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use ropc::jwt::{self, Validation};
use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
use ropc::{Client, Secret};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

// ---------------------------------------------------------------------------
// A counting allocator

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counters() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

// ---------------------------------------------------------------------------
// Measuring

const ROUNDS: usize = 31;
const ROUND_TARGET: Duration = Duration::from_millis(20);

struct Measure {
    ns_per_op: f64,
    min_ns: f64,
    allocs_per_op: f64,
    bytes_per_op: f64,
    iters: u64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// N such that N calls of `op` take about `ROUND_TARGET` (at least
/// `min_iters`); warms `op` up on the way.
fn calibrate(min_iters: u64, op: &mut dyn FnMut()) -> u64 {
    let mut n = min_iters.max(1);
    loop {
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        let took = start.elapsed();
        if took >= ROUND_TARGET / 2 || n >= 1 << 24 {
            let per = took.as_secs_f64() / n as f64;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let wanted = (ROUND_TARGET.as_secs_f64() / per).ceil() as u64;
            return wanted.max(min_iters).max(1);
        }
        n *= 2;
    }
}

/// Median ns/op of each op over `ROUNDS` rounds of N calls, the ops taking
/// turns round by round (so that a change in the machine's load hits them
/// alike), and the per-round ns/op (for ratios between ops of one round).
fn measure(ops: &mut [(u64, &mut dyn FnMut())]) -> Vec<(Measure, Vec<f64>)> {
    let iters: Vec<u64> = ops
        .iter_mut()
        .map(|(min, op)| calibrate(*min, &mut **op))
        .collect();
    let mut samples = vec![(Vec::new(), Vec::new(), Vec::new()); ops.len()];
    for _ in 0..ROUNDS {
        for (((_, op), &n), (times, allocs, bytes)) in ops.iter_mut().zip(&iters).zip(&mut samples)
        {
            let (a0, b0) = counters();
            let start = Instant::now();
            for _ in 0..n {
                op();
            }
            let took = start.elapsed();
            let (a1, b1) = counters();
            times.push(took.as_nanos() as f64 / n as f64);
            allocs.push((a1 - a0) as f64 / n as f64);
            bytes.push((b1 - b0) as f64 / n as f64);
        }
    }
    samples
        .into_iter()
        .zip(iters)
        .map(|((times, mut allocs, mut bytes), iters)| {
            let mut sorted = times.clone();
            let m = Measure {
                ns_per_op: median(&mut sorted),
                min_ns: sorted[0],
                allocs_per_op: median(&mut allocs),
                bytes_per_op: median(&mut bytes),
                iters,
            };
            (m, times)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The token

const KEY: &[u8] = b"a-client-secret-of-reasonable-length-42";
const ISSUER: &str = "https://id.example.com/realms/devices";
const AUDIENCE: &str = "https://api.example.com";
const IAT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const TOKEN_LEN: usize = 887;

fn sign(header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = HmacSha256::new_from_slice(KEY).expect("any key length");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// A realistic access token, padded (in a custom claim) to exactly
/// `TOKEN_LEN` characters.
fn realistic_token() -> String {
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let payload = |pad: &str| {
        format!(
            concat!(
                r#"{{"iss":"{iss}","sub":"6f1c2a9e-4b7d-4f3a-9c1e-2d8b5e7a9f10","#,
                r#""aud":["{aud}","ropc-device-agent"],"exp":{exp},"nbf":{iat},"iat":{iat},"#,
                r#""jti":"0b8e3c2f-71a4-4d6e-bb1f-9a5c3e7d2f48","#,
                r#""scope":"openid email profile offline_access devices:read devices:write","#,
                r#""azp":"ropc-device-agent","sid":"c41e8d3a-5f2b-4a7c-8e9d-1b6f0a3c5e72","#,
                r#""email":"alice@example.com","email_verified":true,"#,
                r#""preferred_username":"alice","#,
                r#""roles":["device-admin","telemetry-reader"],"#,
                r#""tenant":{{"id":"acme-eu","region":"eu-west-1","plan":"{pad}"}},"#,
                r#""auth_time":{iat},"amr":["pwd"]}}"#
            ),
            iss = ISSUER,
            aud = AUDIENCE,
            exp = IAT + 3600,
            iat = IAT,
            pad = pad,
        )
    };
    let mut pad = String::new();
    loop {
        let token = sign(header, &payload(&pad));
        // Base64url lengths skip none of the values near 887: the first
        // token at least that long is exactly that long.
        if token.len() >= TOKEN_LEN {
            return token;
        }
        pad.push('x');
    }
}

/// The floor: HMAC-SHA256 with the key over `header.payload`, plus the
/// 43-character tag base64url decode and a constant-time compare.
fn hmac_floor(token: &str, key: &[u8]) -> bool {
    let dot = token.rfind('.').expect("three segments");
    let mut tag = [0u8; 33];
    let Ok(n) = URL_SAFE_NO_PAD.decode_slice(&token[dot + 1..], &mut tag) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    mac.update(&token.as_bytes()[..dot]);
    mac.verify_slice(&tag[..n]).is_ok()
}

/// A token response carrying `token`, as a provider sends it.
fn token_response(token: &str) -> String {
    let refresh_token = "rt.5q3Zk8xYw2VbN7mLcR4tHgJ9pE1sA6dF0uKoQiXe";
    format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600,"refresh_token":"{refresh_token}","scope":"openid email profile offline_access devices:read devices:write"}}"#
    )
}

// ---------------------------------------------------------------------------

struct Row {
    what: String,
    m: Measure,
    unit_ms: bool,
    ratio: Option<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = realistic_token();
    let validation = Validation::default()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .at(IAT + 60);

    // Setup check (not a measurement): the token verifies, and the floor
    // accepts it; otherwise there is nothing meaningful to time.
    jwt::verify(&token, KEY, &validation)?;
    if !hmac_floor(&token, KEY) {
        return Err("the HMAC floor refused the token".into());
    }

    // `bench -- --spin verify|floor|parse`: only that loop, for a profiler.
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--spin" {
        let body = token_response(&token);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            for _ in 0..1000 {
                match args[2].as_str() {
                    "verify" => {
                        black_box(jwt::verify(black_box(&token), KEY, &validation).is_ok());
                    }
                    "floor" => {
                        black_box(hmac_floor(black_box(&token), KEY));
                    }
                    _ => {
                        black_box(ropc::_fuzz::parse_response(black_box(body.as_bytes())).is_ok());
                    }
                }
            }
        }
        return Ok(());
    }

    let mut rows = Vec::new();

    let mut results = measure(&mut [
        (1000, &mut || {
            black_box(hmac_floor(black_box(&token), black_box(KEY)));
        }),
        (1000, &mut || {
            let claims = jwt::verify(black_box(&token), black_box(KEY), black_box(&validation));
            black_box(claims.is_ok());
        }),
    ])
    .into_iter();
    let (floor, floor_rounds) = results.next().expect("two results");
    let (verify, verify_rounds) = results.next().expect("two results");
    let ratio = verify.ns_per_op / floor.ns_per_op;
    let mut round_ratios: Vec<f64> = verify_rounds
        .iter()
        .zip(&floor_rounds)
        .map(|(v, f)| v / f)
        .collect();
    let round_ratio = median(&mut round_ratios);
    rows.push(Row {
        what: format!(
            "`jwt::verify`, {}-char HS256 token (iss/aud/exp/nbf/iat checked)",
            token.len()
        ),
        m: verify,
        unit_ms: false,
        ratio: Some(ratio),
    });
    rows.push(Row {
        what: "HMAC floor: HMAC-SHA256 over header.payload + 43-char tag decode + ct compare"
            .into(),
        m: floor,
        unit_ms: false,
        ratio: Some(1.0),
    });

    let body = token_response(&token);
    if !matches!(
        ropc::_fuzz::parse_response(body.as_bytes()),
        Ok(ropc::_fuzz::Parsed::Token(_))
    ) {
        return Err("the token response did not parse".into());
    }
    let (parse, _) = measure(&mut [(1000, &mut || {
        black_box(ropc::_fuzz::parse_response(black_box(body.as_bytes())).is_ok());
    })])
    .remove(0);
    rows.push(Row {
        what: format!("`response::parse`, {}-byte token response", body.len()),
        m: parse,
        unit_ms: false,
        ratio: None,
    });

    let provider = Provider::start()?;
    let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .issuer(provider.issuer())
        .audience(DEMO_CLIENT_ID)
        .build()?;
    let password = Secret::from(DEMO_PASSWORD);
    let tokens = client.password_grant(DEMO_USERNAME, &password, &["openid"])?;
    // Refreshes first: the provider rotates the refresh token (each refresh
    // must use the one it was just handed) and keeps its live refresh tokens
    // in a list it scans, which the grants below would fill by thousands.
    let mut current = Some(tokens);
    let (refresh, _) = measure(&mut [(20, &mut || {
        let t = current.take().expect("a token to refresh");
        current = Some(client.refresh(&t).unwrap_or(t));
    })])
    .remove(0);
    let (grant, _) = measure(&mut [(20, &mut || {
        let t = client.password_grant(DEMO_USERNAME, &password, &["openid"]);
        black_box(t.is_ok());
    })])
    .remove(0);
    rows.push(Row {
        what: "password grant, loopback provider, keep-alive (HTTP + parse + verify)".into(),
        m: grant,
        unit_ms: true,
        ratio: None,
    });
    rows.push(Row {
        what: "refresh grant, loopback provider, keep-alive (HTTP + parse + verify)".into(),
        m: refresh,
        unit_ms: true,
        ratio: None,
    });
    let connections = provider.connections();
    let requests = provider.requests();

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!("machine: {cpus} CPUs, {cpu}");
    println!();
    println!(
        "| operation | median | fastest round | × HMAC floor | heap allocs/op | heap bytes/op |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in &rows {
        let time = |ns: f64| {
            if r.unit_ms {
                format!("{:.3} ms/op", ns / 1e6)
            } else {
                format!("{ns:.0} ns/op")
            }
        };
        let ratio = r.ratio.map_or("—".into(), |x| format!("{x:.2}"));
        println!(
            "| {} | {} | {} | {ratio} | {:.1} | {:.0} |",
            r.what,
            time(r.m.ns_per_op),
            time(r.m.min_ns),
            r.m.allocs_per_op,
            r.m.bytes_per_op
        );
    }
    println!();
    println!(
        "{ROUNDS} rounds each of N calls, median ns/op; \
         N per round: verify {}, floor {}, parse {}, grant {}, refresh {}; \
         loopback: {requests} requests over {connections} connection(s).",
        rows[0].m.iters, rows[1].m.iters, rows[2].m.iters, rows[3].m.iters, rows[4].m.iters,
    );
    println!(
        "verify / floor = {ratio:.2} (ratio of the medians); median of the {ROUNDS} per-round ratios \
         (verify and floor rounds alternate) = {round_ratio:.2}"
    );
    Ok(())
}
