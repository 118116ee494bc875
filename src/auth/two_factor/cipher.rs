//! The TOTP secret at rest: AES-256-GCM under a key derived from `SECRET_KEY` by HKDF
//! (SHA-256, with a label of its own, so the cookie keys and this key never coincide).
//!
//! Each sealed value names what it is for (the associated data, e.g. `user:7`), so a
//! value copied to another account or another use does not open.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;

const LABEL: &[u8] = b"tickbox two-factor secrets v1";
const VERSION: &str = "v1:";
const NONCE_BYTES: usize = 12;

#[derive(Clone)]
pub struct SecretCipher(Aes256Gcm);

impl SecretCipher {
    /// The cipher of this `SECRET_KEY` (or generated key file).
    pub fn derive(secret_key: &[u8]) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key)
            .expand(LABEL, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(Aes256Gcm::new(&key.into()))
    }

    /// `plaintext` encrypted for `purpose`, as text: `v1:` and hex of nonce and ciphertext.
    pub fn seal(&self, plaintext: &[u8], purpose: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: purpose.as_bytes(),
        };
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encrypts any short message");
        let mut text = String::with_capacity(VERSION.len() + 2 * (NONCE_BYTES + sealed.len()));
        text.push_str(VERSION);
        for b in nonce.iter().chain(&sealed) {
            text.push_str(&format!("{b:02x}"));
        }
        text
    }

    /// The plaintext of a value sealed for `purpose` by this key; `None` for anything
    /// else (another key, purpose, or a damaged value).
    pub fn open(&self, sealed: &str, purpose: &str) -> Option<Vec<u8>> {
        let bytes = from_hex(sealed.strip_prefix(VERSION)?)?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: purpose.as_bytes(),
        };
        self.0.decrypt(Nonce::from_slice(nonce), payload).ok()
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_purpose() {
        let cipher = SecretCipher::derive(&[7; 64]);
        let sealed = cipher.seal(b"secret bytes", "user:1");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("secret"));
        assert_eq!(cipher.open(&sealed, "user:1").unwrap(), b"secret bytes");
        assert_eq!(cipher.open(&sealed, "user:2"), None);
        assert_eq!(SecretCipher::derive(&[8; 64]).open(&sealed, "user:1"), None);
        assert_eq!(cipher.open("v1:00", "user:1"), None);
        assert_eq!(cipher.open("v1:zz", "user:1"), None);
        assert_eq!(cipher.open("garbage", "user:1"), None);
        // A fresh nonce each time: the same secret never looks the same twice.
        assert_ne!(sealed, cipher.seal(b"secret bytes", "user:1"));
    }
}
