//! Password-reset tokens (SPEC §9): 256 random bits as 64 hex characters (url-safe),
//! kept in the database only as a SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;

/// A new token and the hash to store for it.
pub fn new() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of `token`.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one of ours (anything else is dead without a query).
pub fn is_well_formed(token: &str) -> bool {
    token.len() == 2 * TOKEN_BYTES
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_new_each_time_well_formed_and_stored_hashed() {
        let (a, hash_a) = new();
        let (b, _) = new();
        assert_ne!(a, b);
        assert!(is_well_formed(&a));
        assert_ne!(a, hash_a);
        assert_eq!(hash(&a), hash_a);
        for bad in [
            "",
            "abc",
            &a.to_uppercase(),
            &format!("{a}0"),
            &a.replace(&a[..1], "g"),
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }
}
