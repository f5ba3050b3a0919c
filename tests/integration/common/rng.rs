//! One seeded random generator for the tests that pick random values. The
//! seed comes from `ROPC_TEST_SEED` when it is set, otherwise from the clock
//! and the OS, and is printed before it is used, so that a failure can be
//! replayed with the same seed.

use std::hash::{BuildHasher, Hasher};

/// The environment variable that sets the seed of every [`Rng::for_test`].
pub const SEED_ENV: &str = "ROPC_TEST_SEED";

/// xorshift64 (Marsaglia's 13/7/17): small and plenty for picking delays
/// and inputs in tests; never for anything secret.
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The generator of the test `name` of the module `module` (the
    /// caller's `module_path!()`): seeded from `ROPC_TEST_SEED` when it is
    /// set, otherwise from the clock and the OS's random hash keys. The
    /// seed is printed on stderr, which the test harness shows when the
    /// test fails, with the command that replays the test.
    pub fn for_test(module: &str, name: &str) -> Rng {
        let name = super::test_name(module, name);
        let seed = match std::env::var(SEED_ENV) {
            Ok(s) => s
                .trim()
                .parse()
                .unwrap_or_else(|e| panic!("{SEED_ENV}={s:?} is not a u64: {e}")),
            Err(_) => fresh_seed(),
        };
        eprintln!(
            "{name}: random seed {seed} (replay: {SEED_ENV}={seed} cargo test --test {} -- --exact {name})",
            env!("CARGO_CRATE_NAME")
        );
        Rng::from_seed(seed)
    }

    /// The generator for exactly this seed (any value, 0 included).
    pub fn from_seed(seed: u64) -> Rng {
        // splitmix64 spreads the seed over the state, which xorshift needs
        // non-zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng {
            state: if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z },
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A value in `0..n` (`n` > 0; the modulo bias is immaterial here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A seed that differs from run to run: the clock and the process id,
/// through std's hasher with its per-process random keys.
fn fresh_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.write_u32(std::process::id());
    h.finish()
}
