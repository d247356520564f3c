//! Verify one-time codes as the server drives them: /otp/send then /otp/validate, with the
//! Verify result codes (9-13, 19) and the stored record persisted between calls.

use std::time::Duration;

use keycadence_otp::{
    CodeBinding, OtpPolicy, OtpRecord, OtpService, SendRefused, UnixMillis, UserIdentifier,
    ValidateOutcome,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

const T0: UnixMillis = UnixMillis(1_700_000_000_000);
const MINUTE: Duration = Duration::from_secs(60);

fn service() -> OtpService {
    OtpService::new(OtpPolicy::default(), &[0x42; 32]).unwrap()
}

fn alice() -> CodeBinding {
    CodeBinding::new("app456", &UserIdentifier::Email("alice@example.com".into()))
}

/// A code that is well-formed but is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    (if n == 999_999 { 100_000 } else { n + 1 }).to_string()
}

#[test]
fn a_code_matches_once_and_only_once() {
    let otp = service();
    let mut rng = StdRng::seed_from_u64(1);
    let issued = otp
        .issue(&OtpRecord::default(), &alice(), T0, &mut rng)
        .unwrap();
    assert_eq!(issued.code.as_str().len(), 6);

    let first = otp.validate(
        &issued.next,
        &alice(),
        issued.code.as_str(),
        T0.plus(MINUTE),
    );
    assert_eq!(first.outcome, ValidateOutcome::Matched);
    assert_eq!(first.outcome.verify_code().number(), 19);
    let second = otp.validate(&first.next, &alice(), issued.code.as_str(), T0.plus(MINUTE));
    assert_eq!(second.outcome, ValidateOutcome::Invalid);
    assert_eq!(second.outcome.verify_code().number(), 10);
}

#[test]
fn codes_expire_after_their_lifetime() {
    let otp = service();
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap();
    let just_before = T0.plus(10 * MINUTE).minus(Duration::from_millis(1));
    assert_eq!(
        otp.validate(&issued.next, &alice(), issued.code.as_str(), just_before)
            .outcome,
        ValidateOutcome::Matched
    );
    let at_expiry = otp.validate(
        &issued.next,
        &alice(),
        issued.code.as_str(),
        T0.plus(10 * MINUTE),
    );
    assert_eq!(at_expiry.outcome, ValidateOutcome::Invalid);
    assert_eq!(
        at_expiry.next.code, None,
        "an expired code is dropped from the record"
    );
    assert_eq!(at_expiry.next.attempts.failures, 1);
}

#[test]
fn codes_are_bound_to_their_application_and_user() {
    let otp = service();
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(3),
        )
        .unwrap();
    let bob = CodeBinding::new("app456", &UserIdentifier::Email("bob@example.com".into()));
    let other_app = CodeBinding::new("app999", &UserIdentifier::Email("alice@example.com".into()));
    for binding in [bob, other_app] {
        assert_eq!(
            otp.validate(&issued.next, &binding, issued.code.as_str(), T0)
                .outcome,
            ValidateOutcome::Invalid
        );
    }
    // The hash in the record is of the code, application and user: another pepper does not
    // match it either.
    let other_pepper = OtpService::new(OtpPolicy::default(), &[0x43; 32]).unwrap();
    assert_eq!(
        other_pepper
            .validate(&issued.next, &alice(), issued.code.as_str(), T0)
            .outcome,
        ValidateOutcome::Invalid
    );
}

/// The key an integrator stores a user's record under (`binding.storage_key()`, as the crate
/// docs show): one record per application and user, so that one user's code, lock-out and
/// send count are never another's.
#[test]
fn each_application_and_user_has_a_storage_key_of_its_own() {
    assert_eq!(alice().storage_key(), ("app456", "email:alice@example.com"));
    let others = [
        CodeBinding::new("app456", &UserIdentifier::Email("bob@example.com".into())),
        CodeBinding::new("app999", &UserIdentifier::Email("alice@example.com".into())),
        CodeBinding::new("app456", &UserIdentifier::Id("alice@example.com".into())),
    ];
    for other in &others {
        assert_ne!(other.storage_key(), alice().storage_key(), "{other:?}");
    }
    assert_eq!(others[1].storage_key().0, "app999");
}

/// The service reports the policy it enforces (an integrator shows the code length and
/// lifetime to its users from it).
#[test]
fn the_service_reports_the_policy_it_was_given() {
    let policy = OtpPolicy {
        code_length: 8,
        lifetime: 3 * MINUTE,
        max_sends: 2,
        ..OtpPolicy::default()
    };
    let otp = OtpService::new(policy, &[0x42; 32]).unwrap();
    assert_eq!(otp.policy(), &policy);
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(9),
        )
        .unwrap();
    assert_eq!(
        issued.code.as_str().len(),
        usize::from(otp.policy().code_length)
    );
}

#[test]
fn five_wrong_codes_lock_the_user_out_with_limited_until() {
    let otp = service();
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(4),
        )
        .unwrap();
    let wrong = other_than(issued.code.as_str());
    let mut record = issued.next;
    for _ in 0..4 {
        let v = otp.validate(&record, &alice(), &wrong, T0);
        assert_eq!(v.outcome, ValidateOutcome::Invalid);
        record = v.next;
    }
    let lock = otp.validate(&record, &alice(), &wrong, T0);
    let limited_until = T0.plus(15 * MINUTE);
    assert_eq!(
        lock.outcome,
        ValidateOutcome::TooManyFailures { limited_until }
    );
    assert_eq!(lock.outcome.verify_code().number(), 11);
    record = lock.next;
    assert_eq!(record.attempts.limited_until, Some(limited_until));

    // While locked, even the right code is refused unchecked (12), and no code is sent (13).
    let locked = otp.validate(&record, &alice(), issued.code.as_str(), T0.plus(MINUTE));
    assert_eq!(locked.outcome, ValidateOutcome::LockedOut { limited_until });
    assert_eq!(locked.outcome.verify_code().number(), 12);
    assert_eq!(locked.next, record, "a refused attempt changes nothing");
    let refused = otp
        .issue(
            &record,
            &alice(),
            T0.plus(MINUTE),
            &mut StdRng::seed_from_u64(5),
        )
        .unwrap_err();
    assert_eq!(refused, SendRefused::LockedOut { limited_until });
    assert_eq!(refused.verify_code().number(), 13);

    // The lock-out voided the code; after it, a new code works.
    assert_eq!(
        otp.validate(&record, &alice(), issued.code.as_str(), limited_until)
            .outcome,
        ValidateOutcome::Invalid
    );
    let fresh = otp
        .issue(
            &record,
            &alice(),
            limited_until,
            &mut StdRng::seed_from_u64(6),
        )
        .unwrap();
    assert_eq!(fresh.next.attempts.failures, 0);
    assert_eq!(
        otp.validate(&fresh.next, &alice(), fresh.code.as_str(), limited_until)
            .outcome,
        ValidateOutcome::Matched
    );
}

#[test]
fn a_new_code_replaces_the_old_one_but_keeps_the_failure_count() {
    let otp = service();
    let mut rng = StdRng::seed_from_u64(7);
    let first = otp
        .issue(&OtpRecord::default(), &alice(), T0, &mut rng)
        .unwrap();
    let failed = otp.validate(&first.next, &alice(), &other_than(first.code.as_str()), T0);
    let second = otp.issue(&failed.next, &alice(), T0, &mut rng).unwrap();
    assert_eq!(
        second.next.attempts.failures, 1,
        "asking for a new code buys no guesses"
    );
    if first.code != second.code {
        assert_eq!(
            otp.validate(&second.next, &alice(), first.code.as_str(), T0)
                .outcome,
            ValidateOutcome::Invalid
        );
    }
    assert_eq!(
        otp.validate(&second.next, &alice(), second.code.as_str(), T0)
            .outcome,
        ValidateOutcome::Matched
    );
}

#[test]
fn malformed_codes_are_invalid_but_not_counted() {
    let otp = service();
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(8),
        )
        .unwrap();
    for bad in ["", "12345", "1234567", "12a456"] {
        let v = otp.validate(&issued.next, &alice(), bad, T0);
        assert_eq!(v.outcome, ValidateOutcome::Invalid, "{bad:?}");
        assert_eq!(v.next, issued.next, "{bad:?} changed the record");
    }
    let spaced = format!(
        " {} {} ",
        &issued.code.as_str()[..3],
        &issued.code.as_str()[3..]
    );
    assert_eq!(
        otp.validate(&issued.next, &alice(), &spaced, T0).outcome,
        ValidateOutcome::Matched
    );
}

#[test]
fn sends_are_limited_per_window() {
    let otp = service();
    let mut rng = StdRng::seed_from_u64(9);
    let mut record = OtpRecord::default();
    for i in 0..5 {
        record = otp
            .issue(&record, &alice(), T0.plus(MINUTE * i), &mut rng)
            .unwrap()
            .next;
    }
    let window_end = T0.plus(60 * MINUTE);
    let refused = otp
        .issue(&record, &alice(), T0.plus(30 * MINUTE), &mut rng)
        .unwrap_err();
    assert_eq!(
        refused,
        SendRefused::TooManySends {
            limited_until: window_end
        }
    );
    assert_eq!(refused.limited_until(), window_end);
    assert!(otp.issue(&record, &alice(), window_end, &mut rng).is_ok());
}

#[test]
fn a_successful_validation_does_not_reopen_the_send_window() {
    // Otherwise whoever can both send and validate (an attacker with a forged payload and
    // the user's mailbox, or a script that echoes codes) could send without limit.
    let otp = service();
    let mut rng = StdRng::seed_from_u64(11);
    let mut record = OtpRecord::default();
    for i in 0..5 {
        let issued = otp
            .issue(&record, &alice(), T0.plus(MINUTE * i), &mut rng)
            .unwrap();
        let checked = otp.validate(
            &issued.next,
            &alice(),
            issued.code.as_str(),
            T0.plus(MINUTE * i),
        );
        assert_eq!(checked.outcome, ValidateOutcome::Matched);
        record = checked.next;
    }
    assert!(matches!(
        otp.issue(&record, &alice(), T0.plus(10 * MINUTE), &mut rng),
        Err(SendRefused::TooManySends { .. })
    ));
}

#[test]
fn a_failed_delivery_leaves_the_stored_code_usable() {
    // The server persists `issued.next` only after delivery succeeded; when the provider
    // fails (code 26) it keeps the stored record, whose code still works.
    let otp = service();
    let mut rng = StdRng::seed_from_u64(10);
    let delivered = otp
        .issue(&OtpRecord::default(), &alice(), T0, &mut rng)
        .unwrap();
    let stored = delivered.next;
    let _undelivered = otp
        .issue(&stored, &alice(), T0.plus(MINUTE), &mut rng)
        .unwrap();
    assert_eq!(
        otp.validate(&stored, &alice(), delivered.code.as_str(), T0.plus(MINUTE))
            .outcome,
        ValidateOutcome::Matched
    );
    assert_eq!(
        stored.sends.count, 1,
        "the failed send did not use up the quota"
    );
}

#[test]
fn the_record_survives_a_json_round_trip() {
    let otp = service();
    let issued = otp
        .issue(
            &OtpRecord::default(),
            &alice(),
            T0,
            &mut StdRng::seed_from_u64(11),
        )
        .unwrap();
    let json = serde_json::to_string(&issued.next).unwrap();
    assert!(
        !json.contains(issued.code.as_str()),
        "the code itself is never stored"
    );
    let back: OtpRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, issued.next);
    assert_eq!(
        otp.validate(&back, &alice(), issued.code.as_str(), T0)
            .outcome,
        ValidateOutcome::Matched
    );
}
