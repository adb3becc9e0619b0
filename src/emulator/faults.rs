//! Injected faults, for tests and benchmarks: latency, throttling (a token bucket) and random failures.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Fault settings (flags, or `POST /_emulator/faults`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultConfig {
    /// Added to every Graph request.
    #[serde(default)]
    pub latency_ms: u64,
    /// Requests per second the token bucket lets through (burst: one second's worth); beyond it, 429. ARM's
    /// requests too, unless `arm_throttle_rps` gives them a bucket of their own.
    #[serde(default)]
    pub throttle_rps: Option<f64>,
    /// Requests per second ARM's own token bucket lets through (burst: one second's worth), as Azure Resource
    /// Manager throttles apart from Graph; then `throttle_rps` is Graph's alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_throttle_rps: Option<f64>,
    /// Share of requests, 0 to 1, that fail: a third with 503, a third with a connection dropped before the request
    /// is carried out, and a third with the answer lost after it was carried out (a write that happened although the
    /// caller never heard so: the case a client must re-read before resending).
    #[serde(default)]
    pub fail_rate: f64,
    /// Share of requests, 0 to 1, answered 429 with `Retry-After: 1`, drawn from the seeded RNG: throttling that,
    /// unlike the token bucket, does not depend on how fast the machine sends (the same seed throttles the same
    /// requests).
    #[serde(default)]
    pub throttle_rate: f64,
    /// Share of ARM's requests, 0 to 1, answered 429 with `Retry-After: 1`, drawn from the seeded RNG (after
    /// `throttle_rate`, and only when set): ARM throttled apart from Graph whatever the machine's speed; at 1, every
    /// ARM request is throttled until the faults change (a test holds ARM back that way, and lets it go on an event).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub arm_throttle_rate: f64,
}

fn is_zero(f: &f64) -> bool {
    *f == 0.0
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// 429, retry after this many seconds.
    Throttled(u64),
    /// 503, retry after this many seconds.
    Unavailable(u64),
    /// Close the connection without a complete answer; the request is not carried out.
    Drop,
    /// Carry the request out, then close the connection without its answer.
    LoseAnswer,
}

/// The live fault state.
#[derive(Debug)]
pub struct Faults {
    pub config: FaultConfig,
    /// Graph's token bucket (and ARM's, unless it has its own).
    bucket: Bucket,
    /// ARM's own, when `arm_throttle_rps` is set.
    arm_bucket: Bucket,
    rng: StdRng,
    /// ARM reads and writes answered, for `x-ms-ratelimit-remaining-subscription-*`.
    arm_reads: u64,
    arm_writes: u64,
}

/// ARM's hourly request quotas per subscription (Microsoft Learn, "Understand how Azure Resource Manager throttles
/// requests": 12,000 reads and 1,200 writes an hour), which the `x-ms-ratelimit-remaining-*` headers count down.
pub const ARM_READS_PER_HOUR: u64 = 12_000;
pub const ARM_WRITES_PER_HOUR: u64 = 1_200;

impl Faults {
    pub fn new(config: FaultConfig, rng_seed: u64) -> Self {
        Self {
            config,
            bucket: Bucket::full(config.throttle_rps),
            arm_bucket: Bucket::full(config.arm_throttle_rps),
            rng: StdRng::seed_from_u64(rng_seed),
            arm_reads: 0,
            arm_writes: 0,
        }
    }

    /// Counts an ARM request and returns what ARM's `x-ms-ratelimit-remaining-*` header says is left: the token
    /// bucket's whole tokens while throttling is on, else the hourly quota less the requests made.
    pub fn arm_remaining(&mut self, write: bool) -> u64 {
        let (used, quota) = if write {
            self.arm_writes += 1;
            (self.arm_writes, ARM_WRITES_PER_HOUR)
        } else {
            self.arm_reads += 1;
            (self.arm_reads, ARM_READS_PER_HOUR)
        };
        let (bucket, rps) = self.bucket_of(true);
        match rps {
            Some(_) => bucket.tokens.max(0.0).floor() as u64,
            None => quota.saturating_sub(used),
        }
    }

    pub fn set(&mut self, config: FaultConfig) {
        self.config = config;
        self.bucket = Bucket::full(config.throttle_rps);
        self.arm_bucket = Bucket::full(config.arm_throttle_rps);
    }

    /// The bucket a Graph or an ARM request takes from, and its rate (none: not throttled).
    fn bucket_of(&mut self, arm: bool) -> (&mut Bucket, Option<f64>) {
        let positive = |r: Option<f64>| r.filter(|r| *r > 0.0);
        match positive(self.config.arm_throttle_rps) {
            Some(rps) if arm => (&mut self.arm_bucket, Some(rps)),
            _ => (&mut self.bucket, positive(self.config.throttle_rps)),
        }
    }

    /// Decides the fate of the next request, to Graph or (`arm`) to Azure Resource Manager.
    pub fn decide(&mut self, arm: bool) -> Fault {
        if let (bucket, Some(rps)) = self.bucket_of(arm)
            && let Some(wait) = bucket.take(rps)
        {
            return Fault::Throttled(wait);
        }
        // Drawn only when asked for, so that a seed's failures stay the same without it.
        let t = self.config.throttle_rate.clamp(0.0, 1.0);
        if t > 0.0 && self.rng.random::<f64>() < t {
            return Fault::Throttled(1);
        }
        let a = self.config.arm_throttle_rate.clamp(0.0, 1.0);
        if arm && a > 0.0 && self.rng.random::<f64>() < a {
            return Fault::Throttled(1);
        }
        let p = self.config.fail_rate.clamp(0.0, 1.0);
        if p > 0.0 && self.rng.random::<f64>() < p {
            return match self.rng.random_range(0..3) {
                0 => Fault::Unavailable(1),
                1 => Fault::Drop,
                _ => Fault::LoseAnswer,
            };
        }
        Fault::None
    }
}

/// A token bucket: `rps` tokens a second, at most one second's worth held.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rps: Option<f64>) -> Bucket {
        Bucket {
            tokens: rps.unwrap_or(0.0),
            last: Instant::now(),
        }
    }

    /// Takes a token, or says how many seconds until there is one (at least 1, as `Retry-After` counts).
    fn take(&mut self, rps: f64) -> Option<u64> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rps).min(rps.max(1.0));
        if self.tokens < 1.0 {
            return Some(((1.0 - self.tokens) / rps).ceil().max(1.0) as u64);
        }
        self.tokens -= 1.0;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_lets_a_burst_through_then_throttles() {
        let mut f = Faults::new(
            FaultConfig {
                throttle_rps: Some(2.0),
                ..Default::default()
            },
            1,
        );
        assert_eq!(f.decide(false), Fault::None);
        assert_eq!(f.decide(false), Fault::None);
        assert!(matches!(f.decide(false), Fault::Throttled(s) if s >= 1));
    }

    #[test]
    fn arms_throttle_rate_throttles_arm_alone_until_the_faults_change() {
        let mut f = Faults::new(
            FaultConfig {
                arm_throttle_rate: 1.0,
                ..Default::default()
            },
            1,
        );
        for _ in 0..50 {
            assert_eq!(f.decide(true), Fault::Throttled(1));
            assert_eq!(f.decide(false), Fault::None);
        }
        f.set(FaultConfig::default());
        assert_eq!(f.decide(true), Fault::None);
    }

    #[test]
    fn arm_has_a_bucket_of_its_own_when_given_one_and_shares_graphs_otherwise() {
        let mut f = Faults::new(
            FaultConfig {
                throttle_rps: Some(2.0),
                arm_throttle_rps: Some(1.0),
                ..Default::default()
            },
            1,
        );
        assert_eq!(f.decide(true), Fault::None);
        assert!(matches!(f.decide(true), Fault::Throttled(s) if s >= 1));
        assert_eq!(f.arm_remaining(true), 0);
        // Graph's two tokens are untouched by ARM's requests.
        assert_eq!(
            (f.decide(false), f.decide(false)),
            (Fault::None, Fault::None)
        );
        assert!(matches!(f.decide(false), Fault::Throttled(_)));
        f.set(FaultConfig {
            throttle_rps: Some(2.0),
            ..Default::default()
        });
        assert_eq!(
            (f.decide(true), f.decide(false)),
            (Fault::None, Fault::None)
        );
        assert!(matches!(f.decide(true), Fault::Throttled(_)));
    }

    #[test]
    fn failures_follow_the_seeded_rng() {
        let cfg = FaultConfig {
            fail_rate: 0.5,
            ..Default::default()
        };
        let run = |seed| {
            let mut f = Faults::new(cfg, seed);
            (0..50).map(|_| f.decide(false)).collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert!(a.contains(&Fault::Drop) && a.contains(&Fault::LoseAnswer));
        assert!(a.iter().any(|f| matches!(f, Fault::Unavailable(_))));
        assert!(a.contains(&Fault::None));
    }

    #[test]
    fn a_throttle_rate_throttles_the_same_requests_for_a_seed_and_leaves_the_failures_alone() {
        let run = |throttle_rate, seed| {
            let mut f = Faults::new(
                FaultConfig {
                    throttle_rate,
                    ..Default::default()
                },
                seed,
            );
            (0..200).map(|_| f.decide(false)).collect::<Vec<_>>()
        };
        let a = run(0.3, 7);
        assert_eq!(a, run(0.3, 7));
        let throttled = a.iter().filter(|f| **f == Fault::Throttled(1)).count();
        assert!((30..90).contains(&throttled), "{throttled} of 200");
        assert!(
            a.iter()
                .all(|f| matches!(f, Fault::None | Fault::Throttled(1)))
        );
        assert!(run(0.0, 7).iter().all(|f| *f == Fault::None));
    }
}
