//! Seeded, parallel cluster bootstrap.
//!
//! In: the clusters (scenarios: chains of one scenario are not independent, so whole scenarios are resampled), a
//! replicate count `B`, a seed and a statistic over a resampled list of clusters (e.g. AD averaged over scenarios).
//! Out: the statistic on the original data and the percentile 95 % interval of its `B` replicates. Replicate `i`
//! draws from its own generator seeded from `(seed, i)`, and results are collected in replicate order, so the
//! answer is the same for a seed whatever rayon's thread count. The generator is xoshiro256** seeded by splitmix64
//! (Blackman and Vigna), written here so the crate needs no `rand`.

use rayon::prelude::*;

/// splitmix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// Seeds the four state words from splitmix64 (never all zero).
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        Xoshiro256 { s: [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)] }
    }

    /// Generator of replicate `index` under `seed`: independent of how replicates are scheduled.
    pub fn for_replicate(seed: u64, index: u64) -> Self {
        let mut a = seed;
        let mut b = index ^ 0xD1B5_4A32_D192_ED03;
        Self::new(splitmix64(&mut a) ^ splitmix64(&mut b).rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform integer in `0..n` (`n > 0`) by Lemire's multiply-and-reject, without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

/// Bootstrap result.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapCi {
    /// The statistic on the original clusters.
    pub estimate: f64,
    /// 2.5th percentile of the finite replicates (linear interpolation, numpy's default).
    pub lo: f64,
    /// 97.5th percentile.
    pub hi: f64,
    /// Replicates with a finite statistic (the interval uses only these).
    pub replicates: usize,
    /// Replicates whose statistic was NaN or infinite (e.g. a resample with no chains at some τ).
    pub non_finite: usize,
}

/// Percentile `q ∈ [0, 1]` of sorted values by linear interpolation between order statistics (numpy `linear`).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = q * (sorted.len() - 1) as f64;
    let (i, frac) = (h.floor() as usize, h - h.floor());
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + frac * (sorted[j] - sorted[i])
}

/// Cluster bootstrap: resample `clusters` with replacement `b` times and compute `stat` on each resample.
/// With no clusters or no finite replicate, the interval is `(NaN, NaN)`.
pub fn cluster_bootstrap<T, F>(clusters: &[T], b: usize, seed: u64, stat: F) -> BootstrapCi
where
    T: Sync,
    F: Fn(&[&T]) -> f64 + Sync,
{
    let all: Vec<&T> = clusters.iter().collect();
    let estimate = stat(&all);
    let n = clusters.len() as u64;
    let mut reps: Vec<f64> = if n == 0 {
        Vec::new()
    } else {
        (0..b as u64)
            .into_par_iter()
            .map(|i| {
                let mut rng = Xoshiro256::for_replicate(seed, i);
                let sample: Vec<&T> = (0..n).map(|_| &clusters[rng.below(n) as usize]).collect();
                stat(&sample)
            })
            .collect()
    };
    let before = reps.len();
    reps.retain(|v| v.is_finite());
    reps.sort_by(f64::total_cmp);
    BootstrapCi {
        estimate,
        lo: percentile_sorted(&reps, 0.025),
        hi: percentile_sorted(&reps, 0.975),
        replicates: reps.len(),
        non_finite: before - reps.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(xs: &[&f64]) -> f64 {
        xs.iter().copied().sum::<f64>() / xs.len() as f64
    }

    #[test]
    fn deterministic_for_a_seed_whatever_the_threads() {
        let data: Vec<f64> = (0..19).map(|i| (i as f64 * 0.37).sin().abs()).collect();
        let a = cluster_bootstrap(&data, 500, 42, mean);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let b = one.install(|| cluster_bootstrap(&data, 500, 42, mean));
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let c = two.install(|| cluster_bootstrap(&data, 500, 42, mean));
        assert_eq!(a, b);
        assert_eq!(a, c);
        let d = cluster_bootstrap(&data, 500, 43, mean);
        assert_ne!(a.lo, d.lo);
        assert!(a.lo < a.estimate && a.estimate < a.hi);
        assert_eq!((a.replicates, a.non_finite), (500, 0));
    }

    #[test]
    fn xoshiro_reference_and_uniform_range() {
        // splitmix64 from 0: first output is the published 0xE220A8397B1DCDAF.
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        let mut r = Xoshiro256::new(7);
        let mut counts = [0u32; 5];
        for _ in 0..50_000 {
            counts[r.below(5) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1,2,3,4], 2.5) = 1.075, 97.5 → 3.925
        assert!((percentile_sorted(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((percentile_sorted(&v, 0.975) - 3.925).abs() < 1e-12);
        let empty: [f64; 0] = [];
        let r = cluster_bootstrap(&empty, 10, 1, |_: &[&f64]| 0.0);
        assert!(r.lo.is_nan() && r.replicates == 0);
    }
}
