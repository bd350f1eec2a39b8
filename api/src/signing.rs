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
    pub fn media_token(
        &self,
        video_id: &str,
        version: u32,
        scope: MediaScope,
        expires: i64,
    ) -> String {
        let s = scope.letter();
        format!(
            "{expires}.{s}.{}",
            self.sign(&format!("media:{video_id}/v{version}/{s}"), expires)
        )
    }

    /// Checks a media path token and says whom it was issued to.
    pub fn verify_media_token(
        &self,
        token: &str,
        video_id: &str,
        version: u32,
    ) -> Option<MediaScope> {
        let mut it = token.splitn(3, '.');
        let (Some(exp), Some(s), Some(sig)) = (it.next(), it.next(), it.next()) else {
            return None;
        };
        let exp = exp.parse::<i64>().ok()?;
        let scope = MediaScope::from_letter(s)?;
        self.verify(&format!("media:{video_id}/v{version}/{s}"), exp, sig)
            .then_some(scope)
    }

    /// The message a part-upload URL signs.
    pub fn part_message(upload_id: &str, number: u32) -> String {
        format!("part:{upload_id}/{number}")
    }
}

/// Whom a media token was issued to: anyone who could see the video, or its owner and admins
/// (the video was private). A public token stops working when the video turns private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaScope {
    Public,
    Owner,
}

impl MediaScope {
    fn letter(self) -> &'static str {
        match self {
            MediaScope::Public => "p",
            MediaScope::Owner => "o",
        }
    }

    fn from_letter(s: &str) -> Option<MediaScope> {
        match s {
            "p" => Some(MediaScope::Public),
            "o" => Some(MediaScope::Owner),
            _ => None,
        }
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
        let t = s.media_token("vid", 1, MediaScope::Public, exp);
        assert_eq!(s.verify_media_token(&t, "vid", 1), Some(MediaScope::Public));
        assert!(s.verify_media_token(&t, "vid", 2).is_none());
        assert!(s.verify_media_token(&t, "other", 1).is_none());
        assert!(
            Signer::new("other")
                .verify_media_token(&t, "vid", 1)
                .is_none()
        );
        let old = s.media_token(
            "vid",
            1,
            MediaScope::Public,
            chrono::Utc::now().timestamp() - 1,
        );
        assert!(s.verify_media_token(&old, "vid", 1).is_none());
        let owner = s.media_token("vid", 1, MediaScope::Owner, exp);
        assert_eq!(
            s.verify_media_token(&owner, "vid", 1),
            Some(MediaScope::Owner)
        );
        // Claiming the other scope breaks the signature.
        let claimed = owner.replacen(".o.", ".p.", 1);
        assert!(s.verify_media_token(&claimed, "vid", 1).is_none());
        let forged = format!("{}.{}", exp + 1000, t.split_once('.').unwrap().1);
        assert!(s.verify_media_token(&forged, "vid", 1).is_none());
    }
}
