//! The reconnect policy: exponential backoff with jitter, pure arithmetic, and the count of
//! attempts it applies to. No clock and no timer: delays come out, the caller sleeps. Used by
//! the reconnecting client and by the rooms' Redis backend.

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// When a reconnecting client (`squall::reconnect::ReconnectingClient`) or the rooms' Redis
/// backend (`squall::rooms::RedisOptions::backoff`) tries again: exponential
/// backoff with jitter, a cap, an optional limit on attempts, and a reset once a connection
/// stayed up long enough.
///
/// The delay before retry `n` (0 for the first) is drawn uniformly from
/// `[(1 - jitter) × base, base]`, where `base = min(max_delay, initial_delay × multiplierⁿ)`.
/// Attempts are counted from the last connection that stayed open for `reset_after`
/// (or from the start); one that closes sooner counts as a failed attempt, so a server
/// that accepts and drops at once is backed off too.
///
/// | setting | default |
/// |---|---|
/// | [`initial_delay`](Self::initial_delay) | 500 ms |
/// | [`max_delay`](Self::max_delay) | 30 s |
/// | [`multiplier`](Self::multiplier) | 2 |
/// | [`jitter`](Self::jitter) | 0.5 (delays between half and all of `base`) |
/// | [`max_attempts`](Self::max_attempts) | unlimited |
/// | [`reset_after`](Self::reset_after) | 10 s |
///
/// ```
/// use std::time::Duration;
/// use squall::reconnect::Backoff;
///
/// let backoff = Backoff::new()
///     .initial_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2))
///     .jitter(0.0)
///     .max_attempts(Some(10));
/// // 100 ms, 200 ms, 400 ms, ... capped at 2 s.
/// assert_eq!(backoff.delay(0, 0.7), Duration::from_millis(100));
/// assert_eq!(backoff.delay(3, 0.7), Duration::from_millis(800));
/// assert_eq!(backoff.delay(30, 0.7), Duration::from_secs(2));
/// // With jitter, the random draw (in [0, 1)) takes up to that share off.
/// let backoff = backoff.jitter(0.5);
/// assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(200));
/// assert_eq!(backoff.delay(1, 0.5), Duration::from_millis(150));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    initial_delay: Duration,
    max_delay: Duration,
    multiplier: f64,
    jitter: f64,
    max_attempts: Option<u32>,
    reset_after: Duration,
    seed: Option<u64>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.5,
            max_attempts: None,
            reset_after: Duration::from_secs(10),
            seed: None,
        }
    }
}

impl Backoff {
    /// The defaults of the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// The delay before the first retry.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest delay between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How much each delay grows over the one before (values below 1, or not a number,
    /// count as 1: a constant delay).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
        self
    }

    /// The share of each delay left to chance, from 0 (none: exact delays) to 1 (anything
    /// between 0 and the delay, "full jitter"); clamped to that range. Jitter keeps many
    /// clients that lost the same server from coming back at the same instant.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// Gives up after this many attempts in a row without a connection that stayed up for
    /// `reset_after` (`None`: never; `Some(0)` counts as `Some(1)`, the first attempt only).
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts.map(|n| n.max(1));
        self
    }

    /// How long a connection must stay open for the attempts before it to be forgotten:
    /// after it closes, backoff starts again from `initial_delay`.
    pub fn reset_after(mut self, uptime: Duration) -> Self {
        self.reset_after = uptime;
        self
    }

    /// Draws the jitter from a generator seeded with `seed`, so the delays repeat from run to
    /// run (for tests). Default: seeded from the operating system.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The delay before retry number `retry` (0 for the first), for a random draw `random`
    /// in `[0, 1)` (clamped to it): `base × (1 - jitter × random)` with
    /// `base = min(max_delay, initial_delay × multiplier^retry)`. Pure: the same arguments
    /// give the same delay.
    pub fn delay(&self, retry: u32, random: f64) -> Duration {
        let max = self.max_delay.as_secs_f64();
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let grown = self.initial_delay.as_secs_f64() * self.multiplier.powi(exponent);
        // An overflow to infinity (or a NaN) is capped too.
        let base = if grown.is_finite() {
            grown.min(max)
        } else {
            max
        };
        let random = if random.is_nan() {
            0.0
        } else {
            random.clamp(0.0, 1.0)
        };
        let delay = base * (1.0 - self.jitter * random);
        Duration::try_from_secs_f64(delay).unwrap_or(self.max_delay)
    }
}

/// The state a reconnecting client keeps: attempts since the last stable connection, and
/// the generator the jitter is drawn from.
#[derive(Debug)]
pub(crate) struct Schedule {
    backoff: Backoff,
    /// Attempts started since the last connection that stayed up `reset_after`.
    attempts: u32,
    rng: ChaCha8Rng,
}

impl Schedule {
    pub(crate) fn new(backoff: Backoff) -> Self {
        let rng = match backoff.seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            None => ChaCha8Rng::from_entropy(),
        };
        Self {
            backoff,
            attempts: 0,
            rng,
        }
    }

    /// Attempts started since the last stable connection (or the start).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Counts a new attempt and returns its number (1 for the first).
    pub(crate) fn start_attempt(&mut self) -> u32 {
        self.attempts = self.attempts.saturating_add(1);
        self.attempts
    }

    /// A connection that had been open for `uptime` closed: the attempts before it are
    /// forgotten when it lasted `reset_after`.
    pub(crate) fn connection_ended(&mut self, uptime: Duration) {
        if uptime >= self.backoff.reset_after {
            self.attempts = 0;
        }
    }

    /// After a failed attempt or a closed connection: how long to wait before the next
    /// attempt, or `None` to give up (`max_attempts` reached).
    pub(crate) fn next_delay(&mut self) -> Option<Duration> {
        if self
            .backoff
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            return None;
        }
        let retry = self.attempts.saturating_sub(1);
        let random = self.random();
        Some(self.backoff.delay(retry, random))
    }

    /// A uniform draw in `[0, 1)` (53 random bits).
    fn random(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.rng.next_u64() >> 11) as f64 * SCALE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn exact() -> Backoff {
        Backoff::new()
            .initial_delay(100 * MS)
            .max_delay(1000 * MS)
            .jitter(0.0)
    }

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let delays: Vec<_> = (0..7).map(|n| exact().delay(n, 0.9)).collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1000, 1000, 1000].map(|ms| ms * MS)
        );
        let tripling = exact().multiplier(3.0);
        assert_eq!(tripling.delay(2, 0.0), 900 * MS);
        assert_eq!(exact().delay(u32::MAX, 0.0), 1000 * MS);
    }

    #[test]
    fn jitter_takes_a_random_share_off() {
        let half = exact().jitter(0.5);
        assert_eq!(half.delay(1, 0.0), 200 * MS);
        assert_eq!(half.delay(1, 0.5), 150 * MS);
        assert_eq!(half.delay(1, 1.0), 100 * MS);
        let full = exact().jitter(1.0);
        assert_eq!(full.delay(2, 0.25), 300 * MS);
        assert_eq!(full.delay(2, 1.0), Duration::ZERO);
    }

    #[test]
    fn out_of_range_settings_are_clamped() {
        assert_eq!(exact().multiplier(0.5).delay(5, 0.0), 100 * MS);
        assert_eq!(exact().multiplier(f64::NAN).delay(5, 0.0), 100 * MS);
        assert_eq!(exact().jitter(7.0).delay(0, 1.0), Duration::ZERO);
        assert_eq!(exact().jitter(-1.0).delay(0, 1.0), 100 * MS);
        assert_eq!(exact().jitter(0.5).delay(0, -3.0), 100 * MS);
        assert_eq!(exact().jitter(0.5).delay(0, f64::NAN), 100 * MS);
        assert_eq!(exact().multiplier(f64::INFINITY).delay(1, 0.0), 1000 * MS);
        assert_eq!(exact().max_attempts(Some(0)), exact().max_attempts(Some(1)));
    }

    #[test]
    fn the_schedule_counts_attempts_and_gives_up() {
        let mut schedule = Schedule::new(exact().max_attempts(Some(3)));
        assert_eq!(schedule.start_attempt(), 1);
        assert_eq!(schedule.next_delay(), Some(100 * MS));
        assert_eq!(schedule.start_attempt(), 2);
        assert_eq!(schedule.next_delay(), Some(200 * MS));
        assert_eq!(schedule.start_attempt(), 3);
        assert_eq!(schedule.next_delay(), None);
        assert_eq!(schedule.attempts(), 3);
    }

    #[test]
    fn a_stable_connection_resets_the_count_and_a_short_one_does_not() {
        let mut schedule = Schedule::new(exact().reset_after(1000 * MS).max_attempts(Some(5)));
        for _ in 0..3 {
            schedule.start_attempt();
        }
        // Attempt 3 connected, but dropped after 10 ms: it counts as failed.
        schedule.connection_ended(10 * MS);
        assert_eq!(schedule.next_delay(), Some(400 * MS));
        assert_eq!(schedule.start_attempt(), 4);
        // Attempt 4 stayed up 1 s: back to the start.
        schedule.connection_ended(1000 * MS);
        assert_eq!(schedule.attempts(), 0);
        assert_eq!(schedule.next_delay(), Some(100 * MS));
        assert_eq!(schedule.start_attempt(), 1);
    }

    #[test]
    fn unlimited_attempts_never_give_up() {
        let mut schedule = Schedule::new(exact());
        for _ in 0..10_000 {
            schedule.start_attempt();
            assert!(schedule.next_delay().is_some());
        }
    }

    #[test]
    fn a_seed_makes_the_jitter_repeatable() {
        let backoff = exact().jitter(1.0).seed(42);
        let run = |backoff: &Backoff| {
            let mut schedule = Schedule::new(backoff.clone());
            (0..20)
                .map(|_| {
                    schedule.start_attempt();
                    schedule.next_delay().unwrap()
                })
                .collect::<Vec<_>>()
        };
        let first = run(&backoff);
        assert_eq!(first, run(&backoff));
        assert_ne!(first, run(&backoff.seed(43)));
        // Every delay lies in [0, base] and they are not all equal.
        for (n, delay) in first.iter().enumerate() {
            let base = exact().delay(u32::try_from(n).unwrap(), 0.0);
            assert!(*delay <= base, "{n}: {delay:?} > {base:?}");
        }
        assert!(first.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn draws_are_uniform_enough() {
        let mut schedule = Schedule::new(Backoff::new().seed(7));
        let draws: Vec<f64> = (0..10_000).map(|_| schedule.random()).collect();
        assert!(draws.iter().all(|r| (0.0..1.0).contains(r)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
