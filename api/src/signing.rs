//! Signed, expiring capabilities in URLs: media paths and upload-part URLs.
//!
//! A signature is HMAC-SHA256 over a message that names exactly what it grants plus its expiry,
//! truncated to 128 bits and base64url-encoded. Verification is constant-time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key that signs every URL the api hands out.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(secret: &str) -> Self {
        Signer {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, message: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A signature for `message`, valid until `expires` (unix seconds).
    pub fn sign(&self, message: &str, expires: i64) -> String {
        let tag = self.mac(message, expires).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&tag[..16])
    }

    /// True when `sig` signs `message` and `expires` has not passed.
    pub fn verify(&self, message: &str, expires: i64, sig: &str) -> bool {
        if expires < chrono::Utc::now().timestamp() {
            return false;
        }
        let Ok(raw) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        self.mac(message, expires)
            .verify_truncated_left(&raw)
            .is_ok()
            && raw.len() == 16
    }

    /// A path token `{expires}.{sig}` granting read access to one version of one video.
    pub fn media_token(&self, video_id: &str, version: u32, expires: i64) -> String {
        format!(
            "{expires}.{}",
            self.sign(&format!("media:{video_id}/v{version}"), expires)
        )
    }

    /// Checks a media path token.
    pub fn verify_media_token(&self, token: &str, video_id: &str, version: u32) -> bool {
        let Some((exp, sig)) = token.split_once('.') else {
            return false;
        };
        let Ok(exp) = exp.parse::<i64>() else {
            return false;
        };
        self.verify(&format!("media:{video_id}/v{version}"), exp, sig)
    }

    /// The message a part-upload URL signs.
    pub fn part_message(upload_id: &str, number: u32) -> String {
        format!("part:{upload_id}/{number}")
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"kino-compare").expect("any key");
    mac.update(a);
    let ta = mac.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"kino-compare").expect("any key");
    mac.update(b);
    mac.verify_slice(&ta).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_video_version_and_expiry() {
        let s = Signer::new("secret");
        let exp = chrono::Utc::now().timestamp() + 60;
        let t = s.media_token("vid", 1, exp);
        assert!(s.verify_media_token(&t, "vid", 1));
        assert!(!s.verify_media_token(&t, "vid", 2));
        assert!(!s.verify_media_token(&t, "other", 1));
        assert!(!Signer::new("other").verify_media_token(&t, "vid", 1));
        let old = s.media_token("vid", 1, chrono::Utc::now().timestamp() - 1);
        assert!(!s.verify_media_token(&old, "vid", 1));
        let forged = format!("{}.{}", exp + 1000, t.split_once('.').unwrap().1);
        assert!(!s.verify_media_token(&forged, "vid", 1));
    }
}
