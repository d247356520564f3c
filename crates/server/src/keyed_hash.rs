//! HMAC-SHA256 under the server's pepper, as lower-case hex: the names stored instead of
//! e-mail addresses, user ids and pattern digests. Each use starts its input with its own
//! label, so the same text hashed for two uses gives two unrelated names.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The hex HMAC of `parts`, fed in order (the caller writes its label and separators).
pub(crate) fn keyed_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}
