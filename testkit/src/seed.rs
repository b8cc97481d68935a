//! Deterministic pseudo-random bytes: sha256 over (seed, counter) blocks.
//!
//! Not a statistical PRNG, but stable across versions and platforms, which is what seeded
//! fixtures need: the same seed gives the same images and therefore the same digests.

use sha2::{Digest, Sha256};

pub struct SeededBytes {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededBytes {
    /// A stream derived from a label, so unrelated fixtures never share bytes by accident.
    pub fn new(label: &str) -> Self {
        Self {
            seed: Sha256::digest(label.as_bytes()).into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        let mut i = 0;
        while i < out.len() {
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            let take = (32 - self.used).min(out.len() - i);
            out[i..i + take].copy_from_slice(&self.block[self.used..self.used + take]);
            self.used += take;
            i += take;
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }

    /// A value in `lo..hi` (hi exclusive, hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}
