//! Time and chance, injectable: the [`Clock`] every decision about time
//! asks (the wall clock, the boot clock and the boot id), and the
//! [`Jitter`] that spreads retries and refreshes.
//!
//! A device without a real-time clock boots in 1970 and its wall clock jumps
//! when NTP answers; the boot clock (`CLOCK_BOOTTIME`: time since boot,
//! suspend included, which `/proc/uptime` gives without `unsafe` code) never
//! jumps. So ropc checks a fresh token's times against the provider's
//! `Date` when the wall clock disagrees with it, and decides when to refresh
//! by time elapsed on the boot clock since the token was received — within
//! the boot it was received in (the boot id tells), never by a wall clock
//! that may have moved.
//!
//! Tests set the clocks ([`ManualClock`]) and the jitter's seed
//! ([`Jitter::seeded`]) instead of sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where ropc reads the time from.
///
/// Time and chance are injected (this type, [`ManualClock`],
/// [`Jitter::seeded`], [`RetryPolicy::sleep_with`](crate::RetryPolicy::sleep_with)):
/// the tests move the clocks instead of sleeping.
///
/// * the wall clock, [`now`](Clock::now): seconds since the Unix epoch, for
///   a token's `exp`, `nbf` and `iat`;
/// * the boot clock, [`since_boot`](Clock::since_boot), and the boot's
///   identity, [`boot_id`](Clock::boot_id): for how long ago a token was
///   received, whatever the wall clock did meanwhile.
///
/// ```
/// use std::time::Duration;
/// use ropc::{Clock, ManualClock};
///
/// let manual = ManualClock::new(1_700_000_000);
/// let clock = Clock::Manual(manual.clone());
/// manual.advance(Duration::from_secs(90));
/// assert_eq!(clock.now(), 1_700_000_090);
/// manual.set_wall(0); // NTP has not answered: 1970
/// assert_eq!(clock.now(), 0);
/// assert_eq!(clock.since_boot(), Some(Duration::from_secs(1090))); // unmoved
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Clock {
    /// The system's clocks: the wall clock, and on Linux the boot clock
    /// (`/proc/uptime`) and boot id (`/proc/sys/kernel/random/boot_id`).
    #[default]
    System,
    /// A fixed instant on the wall clock (no boot clock), for tests and for
    /// replaying a decision.
    Fixed(i64),
    /// Any function for the wall clock (no boot clock).
    Custom(Arc<dyn Fn() -> i64 + Send + Sync>),
    /// A clock a test moves: the wall clock, the boot clock and the boot id
    /// ([`ManualClock`]).
    Manual(ManualClock),
}

impl Clock {
    /// The wall clock: whole seconds since the Unix epoch.
    #[must_use]
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Clock::Fixed(t) => *t,
            Clock::Custom(f) => f(),
            Clock::Manual(m) => m.state().wall,
        }
    }

    /// The boot clock: time since this boot began, suspend included
    /// (`CLOCK_BOOTTIME`); `None` where there is none (not Linux, a fixed
    /// or custom clock).
    #[must_use]
    pub fn since_boot(&self) -> Option<Duration> {
        match self {
            Clock::System => system_uptime(),
            Clock::Manual(m) => Some(m.state().boot),
            Clock::Fixed(_) | Clock::Custom(_) => None,
        }
    }

    /// What identifies this boot; `None` where it is not known.
    #[must_use]
    pub fn boot_id(&self) -> Option<String> {
        match self {
            Clock::System => system_boot_id().map(str::to_owned),
            Clock::Manual(m) => Some(m.state().boot_id.clone()),
            Clock::Fixed(_) | Clock::Custom(_) => None,
        }
    }

    /// Both readings of the boot clock at once, when it has one.
    pub(crate) fn boot(&self) -> Option<BootTime> {
        Some(BootTime {
            since_boot: self.since_boot()?,
            boot_id: self.boot_id()?,
        })
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::System => f.write_str("System"),
            Clock::Fixed(t) => f.debug_tuple("Fixed").field(t).finish(),
            Clock::Custom(_) => f.write_str("Custom(..)"),
            Clock::Manual(m) => f.debug_tuple("Manual").field(m).finish(),
        }
    }
}

/// A reading of the boot clock: how long after the start of which boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BootTime {
    pub(crate) since_boot: Duration,
    pub(crate) boot_id: String,
}

impl BootTime {
    /// How long ago `earlier` was, when it was read in the same boot; `None`
    /// for another boot — a boot clock that reads less than it did under
    /// the same boot id (a container's own uptime, restarted) counts as
    /// another boot.
    pub(crate) fn since(&self, earlier: &BootTime) -> Option<Duration> {
        if self.boot_id != earlier.boot_id {
            return None;
        }
        self.since_boot.checked_sub(earlier.since_boot)
    }
}

/// A clock for tests: the wall clock, the boot clock and the boot id, each
/// set or moved by the test. Clones share the same time.
///
/// It starts at the given wall time, 1,000 s after a boot called `boot-1`.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<ManualState>>);

struct ManualState {
    wall: i64,
    boot: Duration,
    boot_id: String,
    boots: u32,
}

impl ManualClock {
    /// A clock reading `wall` seconds since the Unix epoch, 1,000 s into a
    /// boot.
    #[must_use]
    pub fn new(wall: i64) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(ManualState {
            wall,
            boot: Duration::from_secs(1000),
            boot_id: "boot-1".to_owned(),
            boots: 1,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Time passes: both clocks move forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state();
        s.boot = s.boot.saturating_add(by);
        s.wall = s
            .wall
            .saturating_add(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
    }

    /// The wall clock is set (by NTP, by hand, by a battery that died): it
    /// jumps to `wall`, the boot clock does not move.
    pub fn set_wall(&self, wall: i64) {
        self.state().wall = wall;
    }

    /// The device reboots: a new boot id, the boot clock back to `uptime`,
    /// the wall clock where it is (call [`set_wall`](Self::set_wall) for a
    /// device that boots in 1970).
    pub fn reboot(&self, uptime: Duration) {
        let mut s = self.state();
        s.boots += 1;
        s.boot_id = format!("boot-{}", s.boots);
        s.boot = uptime;
    }

    /// The boot clock alone is set back or forward (a container whose own
    /// uptime restarted under the same boot id).
    pub fn set_since_boot(&self, since_boot: Duration) {
        self.state().boot = since_boot;
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state();
        f.debug_struct("ManualClock")
            .field("wall", &s.wall)
            .field("since_boot", &s.boot)
            .field("boot_id", &s.boot_id)
            .finish()
    }
}

/// `CLOCK_BOOTTIME` without `unsafe`: the first number of `/proc/uptime`
/// (seconds since boot, suspend included, to the hundredth).
fn system_uptime() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    parse_uptime(&text)
}

fn parse_uptime(text: &str) -> Option<Duration> {
    let first = text.split_ascii_whitespace().next()?;
    let (secs, fraction) = first.split_once('.').unwrap_or((first, "0"));
    if secs.is_empty()
        || fraction.is_empty()
        || !secs
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    // Hundredths as the kernel writes them; more digits are cut.
    let mut nanos = 0u32;
    for (i, digit) in fraction.bytes().take(9).enumerate() {
        nanos += u32::from(digit - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
    }
    Some(Duration::new(secs, nanos))
}

/// This boot's id, read once: `/proc/sys/kernel/random/boot_id`, a UUID
/// the kernel draws at each boot.
fn system_boot_id() -> Option<&'static str> {
    static BOOT_ID: OnceLock<Option<String>> = OnceLock::new();
    BOOT_ID
        .get_or_init(|| {
            let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let id = text.trim();
            let sane = !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
            sane.then(|| id.to_owned())
        })
        .as_deref()
}

/// A seedable source of chance for spreading waits: the retries' backoff
/// and the refresh point drawn for each token. Clones share one sequence.
///
/// Why a fleet needs it: `cargo run --example fleet` simulates 1,000
/// devices that logged in within one second and refresh in the same second
/// when the provider comes back from an outage. In the hour after, the
/// worst second sees 1,000 refresh requests without the jitter and 8 with
/// it.
///
/// Not for anything secret (it is SplitMix64, seeded from std's random
/// hasher keys unless a seed is given).
///
/// ```
/// use std::time::Duration;
/// use ropc::Jitter;
///
/// // A token living an hour, refreshed 60 s before it expires at the
/// // latest: the refresh point is drawn in the 6 minutes before that.
/// let jitter = Jitter::seeded(7);
/// let point = jitter.refresh_offset(Duration::from_secs(3600), Duration::from_secs(60));
/// assert!(point >= Duration::from_secs(3600 - 60 - 360));
/// assert!(point <= Duration::from_secs(3600 - 60));
/// // The same seed, the same draws.
/// assert_eq!(Jitter::seeded(7).refresh_offset(Duration::from_secs(3600), Duration::from_secs(60)), point);
/// // Without jitter, the latest point: what every device would pick.
/// assert_eq!(Jitter::none().refresh_offset(Duration::from_secs(3600), Duration::from_secs(60)), Duration::from_secs(3540));
/// ```
#[derive(Clone)]
pub struct Jitter(Option<Arc<Mutex<u64>>>);

/// The widest refresh window: 10 minutes.
pub const MAX_REFRESH_WINDOW: Duration = Duration::from_secs(600);

impl Jitter {
    /// Draws seeded from the process's own randomness (std's hasher keys).
    #[must_use]
    pub fn random() -> Jitter {
        use std::hash::{BuildHasher as _, Hasher as _};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        Jitter::seeded(hasher.finish())
    }

    /// Draws that repeat for the same seed (tests, simulations).
    #[must_use]
    pub fn seeded(seed: u64) -> Jitter {
        Jitter(Some(Arc::new(Mutex::new(seed))))
    }

    /// No chance at all: every draw is 0 — a backoff wait of nothing, the
    /// latest refresh point. What every device in a fleet would do alike.
    #[must_use]
    pub fn none() -> Jitter {
        Jitter(None)
    }

    /// A number uniform in `0..=max`.
    pub(crate) fn up_to(&self, max: u64) -> u64 {
        let Some(state) = &self.0 else { return 0 };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        // SplitMix64.
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        match max.checked_add(1) {
            // Multiply-shift: uniform enough for waits, no modulo bias worth
            // the name at these sizes.
            Some(span) => u64::try_from((u128::from(z) * u128::from(span)) >> 64).unwrap_or(max),
            None => z,
        }
    }

    /// A duration uniform in `[0, max]`, to the millisecond.
    pub(crate) fn duration_up_to(&self, max: Duration) -> Duration {
        let ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(self.up_to(ms))
    }

    /// When to refresh a token that lives `lifetime` from its receipt, as a
    /// time after its receipt: uniform in `[lifetime − skew − w, lifetime −
    /// skew]` with `w` a tenth of the lifetime, at most
    /// [`MAX_REFRESH_WINDOW`], so that devices that logged in together do
    /// not come back together. Never before the receipt.
    #[must_use]
    pub fn refresh_offset(&self, lifetime: Duration, skew: Duration) -> Duration {
        let latest = lifetime.saturating_sub(skew);
        let window = (lifetime / 10).min(MAX_REFRESH_WINDOW).min(latest);
        latest.saturating_sub(self.duration_up_to(window))
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Jitter::random()
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Jitter"
        } else {
            "Jitter::none"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_is_read_to_the_hundredth() {
        assert_eq!(
            parse_uptime("350735.47 234388.90\n"),
            Some(Duration::new(350_735, 470_000_000))
        );
        assert_eq!(parse_uptime("12 3"), Some(Duration::from_secs(12)));
        for bad in ["", "x", "-1.0 2", "1. 2", ".5 1", "1.2.3 4"] {
            assert_eq!(parse_uptime(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_system_boot_clock_reads_on_linux() {
        if cfg!(target_os = "linux") {
            let clock = Clock::System;
            let boot = clock.boot().unwrap();
            assert!(boot.since_boot > Duration::ZERO);
            assert_eq!(clock.boot_id().unwrap().len(), 36);
            let later = clock.boot().unwrap();
            assert!(later.since(&boot).is_some());
        }
    }

    #[test]
    fn a_boot_clock_that_went_back_is_another_boot() {
        let at = |s, id: &str| BootTime {
            since_boot: Duration::from_secs(s),
            boot_id: id.into(),
        };
        assert_eq!(
            at(100, "a").since(&at(40, "a")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(at(100, "b").since(&at(40, "a")), None);
        assert_eq!(at(10, "a").since(&at(40, "a")), None);
    }

    #[test]
    fn draws_are_uniform_within_their_bounds_and_repeat_for_a_seed() {
        let a = Jitter::seeded(42);
        let b = Jitter::seeded(42);
        let mut seen = [0u32; 11];
        for _ in 0..11_000 {
            let x = a.up_to(10);
            assert_eq!(x, b.up_to(10));
            seen[usize::try_from(x).unwrap()] += 1;
        }
        // Each of the 11 values about 1,000 times.
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(Jitter::none().up_to(10), 0);
        assert!(a.up_to(u64::MAX) > 0 || a.up_to(u64::MAX) > 0);
    }

    #[test]
    fn the_refresh_window_is_a_tenth_of_the_life_at_most_ten_minutes() {
        let j = Jitter::seeded(1);
        let h = Duration::from_secs(3600);
        let skew = Duration::from_secs(60);
        for _ in 0..1000 {
            let o = j.refresh_offset(h, skew);
            assert!((Duration::from_secs(3180)..=Duration::from_secs(3540)).contains(&o));
            let day = j.refresh_offset(Duration::from_secs(86_400), skew);
            assert!(day >= Duration::from_secs(86_400 - 60 - 600));
            // A token shorter than the skew is due at once.
            assert_eq!(
                j.refresh_offset(Duration::from_secs(30), skew),
                Duration::ZERO
            );
        }
    }
}
