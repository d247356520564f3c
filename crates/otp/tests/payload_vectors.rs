//! The published Verify payload test vectors (known secret, IV and ciphertext) and the lenient
//! decoding of the payload's fields.

use keycadence_otp::payload::{self, encrypt_with_iv};
use keycadence_otp::{
    FreshnessPolicy, KdfVersion, KeyCache, PayloadError, PayloadKey, RequestedVersion, UnixMillis,
    VerifyPayload,
};
use serde_json::json;
use std::sync::OnceLock;

const SECRET: &str = "s3cr3t";
const APP: &str = "app456";
const PBKDF2_KEY: &str = "3de287cc8f4511d3e5245b619476bcb5e6be40191acc9ea14bd6207a36f161b2";
const SCRYPT_KEY: &str = "d73b75bf8a9c41e9b217b6ba60f8ee4bb4b154e4b847d3287c1517c608df5d65";
const IV: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const PLAINTEXT: &str = r#"{"email":"alice@example.com","ts":1700000000000}"#;
const PAYLOAD_V1_1: &str = "57a48b053ac10c21cfa321840cf32e64ea060569942cd5cada4bad300639d5728d8a8852b410acdbd96ed8ff622f48eebcfcc20b286869b8cccd61b229ec9207000102030405060708090a0b0c0d0e0f";
const PAYLOAD_V1_0: &str = "31899ac689ace3bfe5b6932c6506d4f63cffd568484c268f1c27e911eadec1dd0584e78fe2987688c452158caa1d552de4378dd2c2225961679df5fbe19641e2000102030405060708090a0b0c0d0e0f";

/// One cache for the tests of this file: scrypt is slow in debug builds, so each key of the
/// spec's application is derived once.
fn shared_cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(|| KeyCache::new(16))
}

fn expected_payload() -> VerifyPayload {
    VerifyPayload {
        email: Some("alice@example.com".into()),
        ts: Some(UnixMillis(1_700_000_000_000)),
        ..Default::default()
    }
}

#[test]
fn derived_keys_match_the_spec() {
    let pbkdf2 = shared_cache().key(SECRET, APP, KdfVersion::V1_1Pbkdf2);
    let scrypt = shared_cache().key(SECRET, APP, KdfVersion::V1_0Scrypt);
    assert_eq!(hex::encode(pbkdf2.as_bytes()), PBKDF2_KEY);
    assert_eq!(hex::encode(scrypt.as_bytes()), SCRYPT_KEY);
}

#[test]
fn encryption_with_the_vector_iv_gives_the_spec_payloads() {
    let pbkdf2 = shared_cache().key(SECRET, APP, KdfVersion::V1_1Pbkdf2);
    let scrypt = shared_cache().key(SECRET, APP, KdfVersion::V1_0Scrypt);
    assert_eq!(
        encrypt_with_iv(&pbkdf2, PLAINTEXT.as_bytes(), IV),
        PAYLOAD_V1_1
    );
    assert_eq!(
        encrypt_with_iv(&scrypt, PLAINTEXT.as_bytes(), IV),
        PAYLOAD_V1_0
    );
    // The typed payload serialises to exactly the vector's plaintext.
    assert_eq!(expected_payload().to_json(), PLAINTEXT);
}

#[test]
fn spec_payloads_open_with_stated_and_unstated_versions_in_any_hex_case() {
    let cache = shared_cache();
    let v1_1 = RequestedVersion::from_json(Some(&json!(1.1))).unwrap();
    let v1_0 = RequestedVersion::from_json(Some(&json!("1.0"))).unwrap();
    let cases = [
        (PAYLOAD_V1_1, v1_1, KdfVersion::V1_1Pbkdf2),
        (PAYLOAD_V1_0, v1_0, KdfVersion::V1_0Scrypt),
        (
            PAYLOAD_V1_1,
            RequestedVersion::Unstated,
            KdfVersion::V1_1Pbkdf2,
        ),
        (
            PAYLOAD_V1_0,
            RequestedVersion::Unstated,
            KdfVersion::V1_0Scrypt,
        ),
    ];
    for (hex_payload, version, kdf) in cases {
        for text in [hex_payload.to_owned(), hex_payload.to_uppercase()] {
            let opened = payload::open(cache, APP, SECRET, &text, version).unwrap();
            assert_eq!(opened.payload, expected_payload());
            assert_eq!(opened.version, kdf);
        }
    }
}

#[test]
fn a_stated_version_does_not_fall_back_to_the_other_kdf() {
    let stated_v1_1 = RequestedVersion::Stated(KdfVersion::V1_1Pbkdf2);
    assert_eq!(
        payload::open(shared_cache(), APP, SECRET, PAYLOAD_V1_0, stated_v1_1),
        Err(PayloadError::Undecryptable)
    );
}

#[test]
fn wrong_credentials_and_tampering_are_unauthorized_124() {
    let cache = shared_cache();
    // Unstated: both key derivations are tried and fail. Stated: the one fails.
    let cases = [
        (APP, "wrong", RequestedVersion::Unstated),
        (
            "app457",
            SECRET,
            RequestedVersion::Stated(KdfVersion::V1_1Pbkdf2),
        ),
    ];
    for (app, secret, version) in cases {
        let err = payload::open(cache, app, secret, PAYLOAD_V1_1, version).unwrap_err();
        assert_eq!(err, PayloadError::Undecryptable);
        assert_eq!(err.verify_code().number(), 124);
    }
    // Flip the first IV byte: the first plaintext byte is no longer '{'.
    let mut iv_flipped = PAYLOAD_V1_1.to_owned();
    let at = iv_flipped.len() - 32;
    iv_flipped.replace_range(at..at + 2, "01");
    // Flip the last ciphertext byte: the padding breaks.
    let mut ct_flipped = PAYLOAD_V1_1.to_owned();
    let at = ct_flipped.len() - 34;
    ct_flipped.replace_range(at..at + 2, "00");
    for tampered in [iv_flipped, ct_flipped] {
        assert_eq!(
            payload::open(cache, APP, SECRET, &tampered, RequestedVersion::Unstated),
            Err(PayloadError::Undecryptable)
        );
    }
}

#[test]
fn malformed_payloads_are_invalid_body_104() {
    let cache = KeyCache::new(8);
    let cut = [
        &PAYLOAD_V1_1[..PAYLOAD_V1_1.len() - 2],
        &PAYLOAD_V1_1[..PAYLOAD_V1_1.len() - 34],
        &PAYLOAD_V1_1[..32],
    ];
    for bad in ["", "xyz"].into_iter().chain(cut) {
        let err = payload::open(&cache, APP, SECRET, bad, RequestedVersion::Unstated).unwrap_err();
        assert_eq!(err.verify_code().number(), 104, "{bad:?}: {err}");
    }
    // Nothing was derived for payloads that could not be parsed.
    assert!(cache.is_empty());
}

#[test]
fn the_vector_payload_expires_as_code_108() {
    let ts = UnixMillis(1_700_000_000_000);
    let five_minutes_later = UnixMillis(ts.0 + 5 * 60 * 1000);
    let six_minutes_later = UnixMillis(ts.0 + 6 * 60 * 1000);
    let policy = FreshnessPolicy::BACKEND_CALL;
    assert_eq!(
        policy.check(expected_payload().ts, five_minutes_later),
        Ok(())
    );
    let err = policy
        .check(expected_payload().ts, six_minutes_later)
        .unwrap_err();
    assert_eq!(err.verify_code().number(), 108);
    // Data-attribute payloads live longer.
    assert_eq!(
        FreshnessPolicy::DATA_ATTRIBUTES.check(expected_payload().ts, six_minutes_later),
        Ok(())
    );
}

#[test]
fn sealed_payloads_round_trip_with_fresh_ivs() {
    let key = PayloadKey::derive(SECRET, APP, KdfVersion::V1_1Pbkdf2);
    let mut rng = rand::rngs::OsRng;
    let a = payload::seal(&key, &expected_payload(), &mut rng);
    let b = payload::seal(&key, &expected_payload(), &mut rng);
    assert_ne!(a, b, "every payload gets its own IV");
    assert_eq!(
        payload::open_with_key(&key, &a).unwrap(),
        expected_payload()
    );
    assert_eq!(
        payload::open_with_key(&key, &b).unwrap(),
        expected_payload()
    );
}

#[test]
fn the_key_cache_is_bounded_and_follows_secret_rotation() {
    let cache = KeyCache::new(2);
    let v = KdfVersion::V1_1Pbkdf2;
    let a = cache.key("sa", "app-a", v);
    cache.key("sb", "app-b", v);
    // app-a was used most recently before app-c arrives, so app-b is evicted.
    assert_eq!(cache.key("sa", "app-a", v), a);
    cache.key("sc", "app-c", v);
    assert_eq!(cache.len(), 2);

    // A rotated secret is never answered with the old key.
    let rotated = cache.key("sa-new", "app-a", v);
    assert_ne!(rotated, a);
    assert_eq!(rotated, PayloadKey::derive("sa-new", "app-a", v));
    let old_payload = payload::encrypt(&a, br#"{"email":"x@y.zz"}"#, &mut rand::rngs::OsRng);
    assert_eq!(
        payload::open(
            &cache,
            "app-a",
            "sa-new",
            &old_payload,
            RequestedVersion::Stated(v)
        ),
        Err(PayloadError::Undecryptable)
    );
    cache.forget("app-a");
    assert_eq!(cache.len(), 1);
}

#[test]
fn field_errors_after_a_successful_decrypt_keep_their_own_codes() {
    let cache = shared_cache();
    let key = cache.key(SECRET, APP, KdfVersion::V1_1Pbkdf2);
    let cases = [
        (r#"{"email":"not-an-address"}"#, 111),
        (r#"{"phoneNumber":"12"}"#, 112),
        (r#"{"language":"en"}"#, 109),
        (r#"{"email":"a@b.co","flow":"turbo"}"#, 104),
    ];
    for (json, code) in cases {
        let sealed = payload::encrypt(&key, json.as_bytes(), &mut rand::rngs::OsRng);
        let result = payload::open(cache, APP, SECRET, &sealed, RequestedVersion::Unstated)
            .and_then(|opened| opened.payload.identifiers().map(|_| ()));
        assert_eq!(result.unwrap_err().verify_code().number(), code, "{json}");
    }
}
