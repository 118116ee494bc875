//! TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) from totp-rs, and the
//! `otpauth://` URI that authenticator apps read.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;
use totp_rs::{Builder, Totp};

/// 160 bits, as RFC 4226 recommends (and SPEC §10 asks).
const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "tickbox";

/// A TOTP secret: its raw bytes.
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32, upper case, no padding (32 characters for 160 bits).
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0.clone()).to_base32()
    }

    /// `otpauth://totp/tickbox:USERNAME?secret=…&issuer=tickbox`.
    pub fn uri(&self, username: &str) -> Option<String> {
        self.totp(username)?.to_url().ok()
    }

    /// The code of the step that `unix_time` falls in (what an app shows then).
    #[cfg(test)]
    fn code_at(&self, unix_time: u64) -> Option<String> {
        Some(self.totp("")?.generate(unix_time).to_string())
    }

    /// The step `code` belongs to, among the current step and one on either side, if
    /// that step is later than `after` (the last one accepted). Spaces and dashes in
    /// the code are ignored.
    pub fn step_of(&self, code: &str, unix_time: u64, after: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let totp = self.totp("")?;
        let now = unix_time / STEP_SECONDS;
        (now.saturating_sub(1)..=now + 1)
            .filter(|&step| i64::try_from(step).is_ok_and(|s| s > after))
            .find(|&step| totp.check(&code, step * STEP_SECONDS).is_some())
            .and_then(|step| i64::try_from(step).ok())
    }

    /// No skew in the crate: [`Self::step_of`] decides the window, step by step.
    fn totp(&self, account: &str) -> Option<Totp> {
        Builder::new()
            .with_secret(self.0.clone())
            .with_skew(0)
            .with_step_duration(STEP_SECONDS)
            .with_account_name(account)
            .with_issuer(Some(ISSUER))
            .build()
            .ok()
    }
}

/// Seconds since 1970, for [`TotpSecret::step_of`].
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the secret is the ASCII "12345678901234567890".
    const VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn totp_rs_matches_the_rfc_6238_test_vectors() {
        let eight_digits = Builder::new()
            .with_secret(b"12345678901234567890".to_vec())
            .with_digits(8)
            .build()
            .unwrap();
        for (time, code) in VECTORS {
            assert_eq!(eight_digits.generate(time).to_string(), code, "at {time}");
            // Six digits are the last six of eight (the same truncation, modulo 10^6).
            assert_eq!(rfc_secret().code_at(time).unwrap(), code[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_only_after_the_last_step() {
        let secret = rfc_secret();
        let now = 1_111_111_111; // step 37037037
        let step = (now / 30) as i64;
        for (offset, accepted) in [
            (-60i64, false),
            (-30, true),
            (0, true),
            (30, true),
            (60, false),
        ] {
            let code = secret.code_at((now as i64 + offset) as u64).unwrap();
            assert_eq!(
                secret.step_of(&code, now, 0).is_some(),
                accepted,
                "offset {offset}"
            );
        }
        let code = secret.code_at(now).unwrap();
        assert_eq!(secret.step_of(&code, now, step - 1), Some(step));
        assert_eq!(secret.step_of(&code, now, step), None, "a replay");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.step_of(&spaced, now, 0), Some(step));
        let dashed = format!("{}-{}", &code[..3], &code[3..]);
        assert_eq!(secret.step_of(&dashed, now, 0), Some(step));
        assert_eq!(secret.step_of("12345x", now, 0), None);
        assert_eq!(secret.step_of("", now, 0), None);
    }

    #[test]
    fn the_secret_is_32_base32_characters_and_the_uri_names_issuer_and_user() {
        let secret = TotpSecret::generate();
        let text = secret.base32();
        assert_eq!(text.len(), 32);
        assert!(
            text.chars().all(|c| matches!(c, 'A'..='Z' | '2'..='7')),
            "{text}"
        );
        assert_eq!(
            secret.uri("alice").unwrap(),
            format!("otpauth://totp/tickbox:alice?secret={text}&issuer=tickbox")
        );
    }
}
