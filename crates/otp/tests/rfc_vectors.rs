//! RFC 4226 Appendix D and RFC 6238 Appendix B test vectors.

use keycadence_otp::totp::{hotp, totp};
use keycadence_otp::{Algorithm, TotpConfig, TotpSecret};

#[test]
fn rfc4226_hotp_vectors() {
    let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
    let config = TotpConfig::new(Algorithm::Sha1, 6, 30, 0).unwrap();
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(
            hotp(&secret, counter as u64, &config),
            *code,
            "counter {counter}"
        );
    }
}

#[test]
fn rfc6238_totp_vectors() {
    let sha1 = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
    let sha256 = TotpSecret::from_bytes(b"12345678901234567890123456789012").unwrap();
    let sha512 =
        TotpSecret::from_bytes(b"1234567890123456789012345678901234567890123456789012345678901234")
            .unwrap();
    let rows: [(u64, u64, &str, &str, &str); 6] = [
        (59, 0x1, "94287082", "46119246", "90693936"),
        (1111111109, 0x23523EC, "07081804", "68084774", "25091201"),
        (1111111111, 0x23523ED, "14050471", "67062674", "99943326"),
        (1234567890, 0x273EF07, "89005924", "91819424", "93441116"),
        (2000000000, 0x3F940AA, "69279037", "90698825", "38618901"),
        (20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"),
    ];
    let config = |alg| TotpConfig::new(alg, 8, 30, 0).unwrap();
    for (time, step, c1, c256, c512) in rows {
        assert_eq!(config(Algorithm::Sha1).step_at(time), step);
        assert_eq!(
            totp(&sha1, time, &config(Algorithm::Sha1)),
            c1,
            "SHA-1 at {time}"
        );
        assert_eq!(
            totp(&sha256, time, &config(Algorithm::Sha256)),
            c256,
            "SHA-256 at {time}"
        );
        assert_eq!(
            totp(&sha512, time, &config(Algorithm::Sha512)),
            c512,
            "SHA-512 at {time}"
        );
    }
}
