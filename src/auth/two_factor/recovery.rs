//! Recovery codes: ten single-use codes of 80 random bits, shown once and stored only as
//! SHA-256 hashes.
//!
//! Why SHA-256 and not bcrypt: bcrypt's slowness is there to protect guessable
//! passwords; an 80-bit random code cannot be found from its hash by trying, however
//! fast the hash. A plain hash can also be looked up directly (one indexed query,
//! spent by one conditional UPDATE) instead of ten bcrypt checks per attempt.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COUNT: usize = 10;
/// Crockford's base32 alphabet (no i, l, o, u): easy to read back from paper.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// 16 characters of 5 bits: 80 bits.
const CHARS: usize = 16;

/// Ten new codes, as shown: `xxxx-xxxx-xxxx-xxxx`.
pub fn generate() -> Vec<String> {
    (0..COUNT).map(|_| one()).collect()
}

fn one() -> String {
    let mut bytes = [0u8; CHARS];
    rand::rng().fill_bytes(&mut bytes);
    let mut code = String::with_capacity(CHARS + 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32: every character is equally likely.
        code.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    code
}

/// A code as typed, compared ignoring spaces, dashes and case (and read-alikes of
/// Crockford's alphabet: i and l are 1, o is 0).
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect()
}

/// The stored form of a code: SHA-256 of its normalised text, in hex.
pub fn hash(code: &str) -> String {
    let digest = Sha256::digest(normalise(code).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `code` could be a recovery code at all (a TOTP code cannot).
pub fn looks_like_one(code: &str) -> bool {
    let code = normalise(code);
    code.len() == CHARS && code.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_of_sixteen_characters_in_groups_of_four() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.matches('-').count(), 3, "{code}");
            assert!(looks_like_one(code));
        }
    }

    #[test]
    fn codes_compare_ignoring_spaces_dashes_and_case() {
        let code = "ab1c-d0ef-ghjk-mnpq";
        for typed in [
            "AB1C-D0EF-GHJK-MNPQ",
            "ab1cd0efghjkmnpq",
            "abic d0ef ghjk mnpq",
            "ablc-dOef-ghjk-mnpq",
        ] {
            assert_eq!(hash(typed), hash(code), "{typed}");
        }
        assert_ne!(hash("ab1c-d0ef-ghjk-mnpr"), hash(code));
        assert!(!looks_like_one("123456"));
    }
}
