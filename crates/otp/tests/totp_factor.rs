//! TOTP factors end to end: creation with a scannable QR code, first-code verification,
//! replay refusal, skew, lock-out, secrets sealed at rest, and challenges.

use std::time::Duration;

use keycadence_otp::totp::totp;
use keycadence_otp::{
    Algorithm, AtRestError, AtRestKey, AttemptPolicy, Challenge, ChallengeError, ChallengeStatus,
    FactorAccess, FactorLabel, FactorStatus, SecretSealer, TotpConfig, TotpFactor, TotpOutcome,
    TotpSecret, UnixMillis,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

const ID: &str = "YF0123456789abcdef0123456789abcdef";
/// The start of a 30-second step.
const T0: u64 = 1_700_000_010;

struct Setup {
    sealer: SecretSealer,
    secret: TotpSecret,
    config: TotpConfig,
    factor: TotpFactor,
    limits: AttemptPolicy,
}

fn setup(config: TotpConfig) -> Setup {
    let mut rng = StdRng::seed_from_u64(1);
    let sealer = SecretSealer::new(&AtRestKey::generate(&mut rng));
    let secret = TotpSecret::generate(&mut rng);
    let label = FactorLabel::new("Acme", "alice@example.com").unwrap();
    let factor = TotpFactor::create(config, &secret, &label, &sealer, ID, &mut rng)
        .unwrap()
        .factor;
    Setup {
        sealer,
        secret,
        config,
        factor,
        limits: AttemptPolicy::default(),
    }
}

impl Setup {
    fn code_at(&self, secs: u64) -> String {
        totp(&self.secret, secs, &self.config)
    }

    fn check(&self, factor: &TotpFactor, code: &str, secs: u64) -> (TotpOutcome, TotpFactor) {
        let c = factor
            .check(
                code,
                &self.sealer,
                ID,
                &self.limits,
                UnixMillis::from_secs(secs),
            )
            .unwrap();
        (c.outcome, c.next)
    }

    fn verified(&self) -> TotpFactor {
        let (outcome, factor) = self.check(&self.factor, &self.code_at(T0 - 60), T0 - 60);
        assert!(outcome.is_accepted());
        factor
    }

    fn access<'a>(&'a self, factor: &'a TotpFactor) -> FactorAccess<'a> {
        FactorAccess {
            factor,
            factor_id: ID,
            sealer: &self.sealer,
            policy: &self.limits,
        }
    }
}

/// Rasterises the SVG that `qrcode` writes (one `M x y h w v h H x V y` sub-path per dark
/// run) and decodes it the way a phone camera would.
fn scan_svg(svg: &str) -> String {
    let attr = |name: &str| -> usize {
        let start = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[start..].split('"').next().unwrap().parse().unwrap()
    };
    let (width, height) = (attr("width"), attr("height"));
    let path = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut dark = vec![false; width * height];
    for rect in path.split('M').filter(|s| !s.is_empty()) {
        let numbers: Vec<usize> = rect
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let (x, y, w, h) = (numbers[0], numbers[1], numbers[2], numbers[3]);
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark[y * width + x] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the SVG");
    grids[0].decode().unwrap().1
}

#[test]
fn creation_hands_out_secret_uri_and_a_qr_code_that_scans_to_the_uri() {
    let mut rng = StdRng::seed_from_u64(2);
    let sealer = SecretSealer::new(&AtRestKey::generate(&mut rng));
    let secret = TotpSecret::generate(&mut rng);
    let label = FactorLabel::new("Acme Co", "alice@example.com").unwrap();
    let new = TotpFactor::create(
        TotpConfig::default(),
        &secret,
        &label,
        &sealer,
        ID,
        &mut rng,
    )
    .unwrap();

    assert_eq!(new.secret_base32, secret.to_base32());
    assert_eq!(
        new.uri,
        format!(
            "otpauth://totp/Acme%20Co:alice%40example.com?secret={}&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30",
            secret.to_base32()
        )
    );
    assert!(new.qr_svg.starts_with("<?xml") && new.qr_svg.ends_with("</svg>"));
    assert_eq!(scan_svg(&new.qr_svg), new.uri);

    // The stored factor holds no readable secret.
    assert_eq!(new.factor.status, FactorStatus::Unverified);
    let stored = serde_json::to_string(&new.factor).unwrap();
    assert!(!stored.contains(&new.secret_base32));
    assert!(!stored.contains(&hex::encode(secret.as_bytes())));
    let back: TotpFactor = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, new.factor);
}

#[test]
fn the_first_good_code_verifies_and_every_code_is_good_once() {
    let s = setup(TotpConfig::default());
    let code = s.code_at(T0);
    let (outcome, factor) = s.check(&s.factor, &code, T0);
    let step = T0 / 30;
    assert_eq!(
        outcome,
        TotpOutcome::Accepted {
            step,
            newly_verified: true
        }
    );
    assert_eq!(factor.status, FactorStatus::Verified);
    assert_eq!(factor.last_accepted_step, Some(step));

    // The same code later in the same step is a replay.
    let (outcome, factor) = s.check(&factor, &code, T0 + 20);
    assert_eq!(outcome, TotpOutcome::Replayed);
    assert_eq!(factor.attempts.failures, 1);
    // The next step's code is fresh; after it, the previous step (still inside the skew
    // window) is refused too.
    let (outcome, factor) = s.check(&factor, &s.code_at(T0 + 30), T0 + 30);
    assert_eq!(
        outcome,
        TotpOutcome::Accepted {
            step: step + 1,
            newly_verified: false
        }
    );
    assert_eq!(factor.attempts.failures, 0);
    let (outcome, _) = s.check(&factor, &code, T0 + 31);
    assert_eq!(outcome, TotpOutcome::Replayed);
}

#[test]
fn skew_accepts_neighbouring_steps_only() {
    let s = setup(TotpConfig::default()); // skew 1
    for (offset, accepted) in [
        (-60i64, false),
        (-30, true),
        (0, true),
        (30, true),
        (60, false),
    ] {
        let code = s.code_at((T0 as i64 + offset) as u64);
        let (outcome, _) = s.check(&s.factor, &code, T0);
        assert_eq!(outcome.is_accepted(), accepted, "offset {offset}");
    }
    let strict = setup(TotpConfig::new(Algorithm::Sha1, 6, 30, 0).unwrap());
    let (outcome, _) = strict.check(&strict.factor, &strict.code_at(T0 - 30), T0);
    assert_eq!(outcome, TotpOutcome::Wrong);
}

#[test]
fn sha256_and_sha512_factors_with_8_digits_and_60_second_steps_work() {
    for alg in [Algorithm::Sha256, Algorithm::Sha512] {
        let s = setup(TotpConfig::new(alg, 8, 60, 2).unwrap());
        let code = s.code_at(T0);
        assert_eq!(code.len(), 8);
        let (outcome, _) = s.check(&s.factor, &code, T0 + 100);
        assert_eq!(
            outcome,
            TotpOutcome::Accepted {
                step: T0 / 60,
                newly_verified: true
            },
            "{alg:?}"
        );
    }
}

#[test]
fn wrong_codes_lock_the_factor_and_malformed_ones_do_not_count() {
    let s = setup(TotpConfig::default());
    let right = s.code_at(T0);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    let mut factor = s.factor.clone();
    for bad in ["12345", "abcdef", "1234567"] {
        let (outcome, next) = s.check(&factor, bad, T0);
        assert_eq!(outcome, TotpOutcome::Malformed);
        assert_eq!(next, factor);
    }
    for _ in 0..4 {
        let (outcome, next) = s.check(&factor, &wrong, T0);
        assert_eq!(outcome, TotpOutcome::Wrong);
        factor = next;
    }
    let until = UnixMillis::from_secs(T0).plus(Duration::from_secs(15 * 60));
    let (outcome, factor) = s.check(&factor, &wrong, T0);
    assert_eq!(
        outcome,
        TotpOutcome::TooManyFailures {
            limited_until: until
        }
    );
    let (outcome, _) = s.check(&factor, &right, T0 + 1);
    assert_eq!(
        outcome,
        TotpOutcome::LockedOut {
            limited_until: until
        }
    );
    let after = until.as_secs();
    let (outcome, _) = s.check(&factor, &s.code_at(after), after);
    assert!(outcome.is_accepted());
}

#[test]
fn a_wrong_at_rest_key_or_a_moved_secret_is_a_typed_error() {
    let s = setup(TotpConfig::default());
    let code = s.code_at(T0);
    let other = SecretSealer::new(&AtRestKey::generate(&mut StdRng::seed_from_u64(99)));
    let err = s
        .factor
        .check(&code, &other, ID, &s.limits, UnixMillis::from_secs(T0))
        .unwrap_err();
    assert!(matches!(err, AtRestError::UnknownKey { .. }), "{err}");
    let err = s
        .factor
        .check(
            &code,
            &s.sealer,
            "YF-another-factor",
            &s.limits,
            UnixMillis::from_secs(T0),
        )
        .unwrap_err();
    assert_eq!(err, AtRestError::Tampered);
}

#[test]
fn imported_secrets_give_the_codes_of_the_original_authenticator() {
    // The Twilio quickstart seed is the RFC test key: its code at 59 s (8 digits) is known.
    let mut rng = StdRng::seed_from_u64(3);
    let sealer = SecretSealer::new(&AtRestKey::generate(&mut rng));
    let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let config = TotpConfig::new(Algorithm::Sha1, 8, 30, 0).unwrap();
    let label = FactorLabel::new("Acme", "alice").unwrap();
    let factor = TotpFactor::create(config, &secret, &label, &sealer, ID, &mut rng)
        .unwrap()
        .factor;
    let check = factor
        .check(
            "94287082",
            &sealer,
            ID,
            &AttemptPolicy::default(),
            UnixMillis::from_secs(59),
        )
        .unwrap();
    assert_eq!(
        check.outcome,
        TotpOutcome::Accepted {
            step: 1,
            newly_verified: true
        }
    );
}

#[test]
fn challenges_need_a_verified_factor() {
    let s = setup(TotpConfig::default());
    let err = Challenge::create(
        s.access(&s.factor),
        &s.code_at(T0),
        None,
        UnixMillis::from_secs(T0),
    )
    .unwrap_err();
    assert_eq!(err, ChallengeError::FactorNotVerified);
}

#[test]
fn a_challenge_with_the_right_code_is_approved_at_once() {
    let s = setup(TotpConfig::default());
    let factor = s.verified();
    let now = UnixMillis::from_secs(T0);
    let answer = Challenge::create(s.access(&factor), &s.code_at(T0), None, now).unwrap();
    assert_eq!(answer.challenge.status, ChallengeStatus::Approved);
    assert_eq!(answer.challenge.responded_at, Some(now));
    assert_eq!(
        answer.challenge.expires_at,
        now.plus(Duration::from_secs(300))
    );
    assert_eq!(answer.factor.last_accepted_step, Some(T0 / 30));
    // The same code cannot approve a second challenge.
    let again = Challenge::create(s.access(&answer.factor), &s.code_at(T0), None, now).unwrap();
    assert_eq!(again.challenge.status, ChallengeStatus::Pending);
    assert_eq!(again.outcome, TotpOutcome::Replayed);
}

#[test]
fn a_pending_challenge_can_be_retried_until_it_expires() {
    let s = setup(TotpConfig::default());
    let factor = s.verified();
    let now = UnixMillis::from_secs(T0);
    let wrong = format!(
        "{:06}",
        (s.code_at(T0).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let created = Challenge::create(s.access(&factor), &wrong, None, now).unwrap();
    assert_eq!(created.challenge.status, ChallengeStatus::Pending);
    assert_eq!(created.outcome, TotpOutcome::Wrong);

    let later = T0 + 40;
    let retried = created
        .challenge
        .respond(
            s.access(&created.factor),
            &s.code_at(later),
            UnixMillis::from_secs(later),
        )
        .unwrap();
    assert_eq!(retried.challenge.status, ChallengeStatus::Approved);
    let err = retried
        .challenge
        .respond(
            s.access(&retried.factor),
            &s.code_at(later + 30),
            UnixMillis::from_secs(later + 30),
        )
        .unwrap_err();
    assert_eq!(err, ChallengeError::NotPending(ChallengeStatus::Approved));

    // Another pending challenge left alone expires after five minutes.
    let pending = Challenge::create(s.access(&retried.factor), &wrong, None, now)
        .unwrap()
        .challenge;
    let expiry = now.plus(Duration::from_secs(300));
    assert_eq!(
        pending.at(expiry.minus(Duration::from_millis(1))).status,
        ChallengeStatus::Pending
    );
    assert_eq!(pending.at(expiry).status, ChallengeStatus::Expired);
    let err = pending
        .respond(
            s.access(&retried.factor),
            &s.code_at(expiry.as_secs()),
            expiry,
        )
        .unwrap_err();
    assert_eq!(err, ChallengeError::NotPending(ChallengeStatus::Expired));
}

#[test]
fn challenge_expiry_is_bounded_and_pending_challenges_can_be_denied() {
    let s = setup(TotpConfig::default());
    let factor = s.verified();
    let now = UnixMillis::from_secs(T0);
    let code = s.code_at(T0);
    let hour = now.plus(Duration::from_secs(3600));
    assert!(Challenge::create(s.access(&factor), "000000", Some(hour), now).is_ok());
    assert!(matches!(
        Challenge::create(
            s.access(&factor),
            &code,
            Some(hour.plus(Duration::from_millis(1))),
            now
        ),
        Err(ChallengeError::ExpiryTooFar { .. })
    ));
    assert_eq!(
        Challenge::create(s.access(&factor), &code, Some(now), now).unwrap_err(),
        ChallengeError::ExpiryNotInFuture
    );

    let pending = Challenge::create(s.access(&factor), "000000", None, now)
        .unwrap()
        .challenge;
    let denied = pending.deny(now.plus(Duration::from_secs(10))).unwrap();
    assert_eq!(denied.status, ChallengeStatus::Denied);
    assert_eq!(
        denied.deny(now).unwrap_err(),
        ChallengeError::NotPending(ChallengeStatus::Denied)
    );
}

/// The algorithm names a client may send: Twilio's lower-case `Config.Alg` and the otpauth
/// URI's upper case, each read as the hash it names; anything else is refused by name.
#[test]
fn every_algorithm_is_read_by_its_names() {
    for (names, algorithm) in [
        (["sha1", "SHA1", "sha-1"], Algorithm::Sha1),
        (["sha256", "SHA256", "Sha-256"], Algorithm::Sha256),
        (["sha512", "SHA512", "sha-512"], Algorithm::Sha512),
    ] {
        for name in names {
            assert_eq!(Algorithm::parse(name), Ok(algorithm), "{name}");
        }
        assert_eq!(Algorithm::parse(algorithm.uri_name()), Ok(algorithm));
    }
    assert!(Algorithm::parse("sha384").is_err());
}

/// A config reports the settings it was made with (the server shows them in a factor's
/// `config` and derives the code strength from the length and skew).
#[test]
fn a_config_reports_its_settings() {
    for (algorithm, digits, step, skew) in [
        (Algorithm::Sha1, 6, 30, 1),
        (Algorithm::Sha256, 8, 60, 2),
        (Algorithm::Sha512, 3, 20, 0),
    ] {
        let config = TotpConfig::new(algorithm, digits, step, skew).unwrap();
        assert_eq!(
            (
                config.algorithm(),
                config.digits(),
                config.step_seconds(),
                config.skew()
            ),
            (algorithm, digits, step, skew)
        );
    }
}

/// Imported secrets: 128 bits (RFC 4226's minimum) up to 128 bytes are taken, one byte fewer
/// or more is refused with the length found.
#[test]
fn imported_secrets_are_taken_from_16_to_128_bytes() {
    use keycadence_otp::totp::SecretError;
    for len in [16, 20, 64, 128] {
        let secret = TotpSecret::from_bytes(&vec![0x5a; len]).unwrap();
        assert_eq!(secret.as_bytes().len(), len);
        let again = TotpSecret::from_base32(&secret.to_base32().to_lowercase()).unwrap();
        assert_eq!(again, secret);
    }
    assert_eq!(
        TotpSecret::from_bytes(&[0x5a; 15]),
        Err(SecretError::TooShort(15))
    );
    assert_eq!(
        TotpSecret::from_bytes(&[0x5a; 129]),
        Err(SecretError::TooLong(129))
    );
}

/// The names an authenticator app shows for a factor: issuer and account as given (trimmed),
/// up to 64 characters each; 65 are refused.
#[test]
fn factor_labels_keep_their_names_up_to_64_characters() {
    use keycadence_otp::totp::uri::LabelError;
    let label = FactorLabel::new("  Example Bank ", " alice@example.com").unwrap();
    assert_eq!(
        (label.issuer(), label.account()),
        ("Example Bank", "alice@example.com")
    );
    let longest = "é".repeat(64);
    let label = FactorLabel::new(&longest, &longest).unwrap();
    assert_eq!((label.issuer(), label.account()), (&*longest, &*longest));
    let too_long = "a".repeat(65);
    assert_eq!(
        FactorLabel::new(&too_long, "alice"),
        Err(LabelError::TooLong { part: "issuer" })
    );
    assert_eq!(
        FactorLabel::new("Example Bank", &too_long),
        Err(LabelError::TooLong {
            part: "account name"
        })
    );
}
