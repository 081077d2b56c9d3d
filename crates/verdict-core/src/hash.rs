//! `sha256:<hex>` digests (of policies, of inputs), and a fast hasher for maps whose keys are fixed when they are built (the label
//! catalogue, a compiled policy's dependency graph) and are only looked up
//! with input: a lookup cannot add a key, so the collisions an input can cause
//! are bounded by the table, and SipHash's protection against crafted keys
//! would only cost most of each lookup.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

use sha2::{Digest as _, Sha256};

/// `sha256:<lowercase hex>` of `bytes`: how verdict names a policy's content
/// and an input as received.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 2 * hash.len());
    text.push_str("sha256:");
    for byte in hash {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A map hashed with [`Fnv`].
pub(crate) type FixedKeyMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
