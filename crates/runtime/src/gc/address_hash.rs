//! Hash maps and sets keyed by addresses, for the collector's bookkeeping (the store's
//! exceptions, pinned references, and per collection its continuations, the running ones, the
//! free ones), which it looks words up in while tracing: an address needs no DoS-resistant
//! hashing, and a multiply is several times cheaper than SipHash.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes one address by a multiply with a large odd constant (Fibonacci hashing), rotated
/// so that the well-mixed high bits become the low bits the table indexes with: objects are
/// aligned, so an address's own low bits are all zero.
#[derive(Default, Clone, Copy)]
pub(crate) struct AddressHasher(u64);

/// 2^64 divided by the golden ratio, odd.
const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(FIBONACCI).rotate_left(32);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A map from addresses.
pub(crate) type AddressMap<V> = HashMap<usize, V, BuildHasherDefault<AddressHasher>>;

/// A set of addresses.
pub(crate) type AddressSet = HashSet<usize, BuildHasherDefault<AddressHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_addresses_spread_over_the_low_bits() {
        let hash = |n: usize| {
            let mut h = AddressHasher::default();
            h.write_usize(n);
            h.finish()
        };
        // 4,096 page-aligned addresses land in at least half of 4,096 buckets.
        let buckets: AddressSet = (0..4096)
            .map(|i| (hash(0x7f00_0000_0000 + i * 4096) & 4095) as usize)
            .collect();
        assert!(buckets.len() > 2048, "{}", buckets.len());
        let mut set = AddressSet::default();
        assert!(set.insert(64) && !set.insert(64) && set.contains(&64));
    }
}
