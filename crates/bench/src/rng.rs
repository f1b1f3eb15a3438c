//! A small seeded random number generator (SplitMix64): reproducible choices without a dependency.

/// SplitMix64, as in Java's `SplittableRandom`. Not for cryptography.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_reproducible_and_bounded() {
        let first: Vec<u64> = {
            let mut rng = SplitMix64::new(7);
            (0..5).map(|_| rng.below(10)).collect()
        };
        let second: Vec<u64> = {
            let mut rng = SplitMix64::new(7);
            (0..5).map(|_| rng.below(10)).collect()
        };
        assert_eq!(first, second);
        assert!(first.iter().all(|&value| value < 10));
    }
}
