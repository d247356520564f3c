//! Every transition of the sign-in, with time driven by hand.

use keycadence_otp::UnixMillis;

use crate::*;

const T0: UnixMillis = UnixMillis(1_700_000_000_000);

fn at(seconds: u64) -> UnixMillis {
    UnixMillis(T0.0 + seconds * 1000)
}

fn everything() -> UserFactors {
    UserFactors {
        typing_enrolments: 3,
        email: true,
        phone: true,
        totp: true,
        backup_codes: 10,
    }
}

fn create(factors: UserFactors) -> SignIn {
    SignIn::create(
        &Policy::default(),
        Device::Desktop,
        factors,
        FirstFactorTyping::NotGiven,
        T0,
    )
    .unwrap()
}

fn text(signin: &SignIn, now: UnixMillis, id: u32) -> SignIn {
    signin
        .record_prepare(
            now,
            Strategy::Typing,
            Prepared::Text {
                text: format!("text {id}"),
                text_id: id,
            },
        )
        .unwrap()
}

fn typing(id: u32, digest: &str) -> Attempt {
    Attempt::Typing {
        text_id: id,
        digest: digest.into(),
    }
}

fn send(signin: &SignIn, now: UnixMillis, strategy: Strategy) -> SignIn {
    assert_eq!(
        signin.admit_prepare(now, strategy),
        Ok(PrepareStep::SendCode)
    );
    signin
        .record_prepare(now, strategy, Prepared::CodeSent { expire_at: at(300) })
        .unwrap()
}

fn verification(signin: &SignIn) -> &Verification {
    signin.verification.as_ref().unwrap()
}

#[test]
fn supported_factors_follow_what_the_user_has_in_policy_order() {
    let s = create(everything());
    assert_eq!(s.status, SignInStatus::NeedsSecondFactor);
    assert_eq!(s.supported, Strategy::ALL);
    assert_eq!(s.expire_at, at(600));
    assert!(s.enrolment.is_none());

    let s = create(UserFactors {
        typing_enrolments: 2,
        email: true,
        ..UserFactors::default()
    });
    assert_eq!(s.supported, [Strategy::EmailCode]);
    assert_eq!(s.enrolment.as_ref().unwrap().texts, 3);

    let policy = Policy {
        strategies: vec![Strategy::Totp, Strategy::Typing],
        ..Policy::default()
    };
    let s = SignIn::create(
        &policy,
        Device::Desktop,
        everything(),
        FirstFactorTyping::NotGiven,
        T0,
    )
    .unwrap();
    assert_eq!(s.supported, [Strategy::Totp, Strategy::Typing]);
}

#[test]
fn a_user_with_nothing_usable_cannot_start() {
    let only_typing = UserFactors {
        typing_enrolments: 5,
        ..UserFactors::default()
    };
    let policy = Policy {
        strategies: vec![Strategy::EmailCode],
        ..Policy::default()
    };
    assert_eq!(
        SignIn::create(
            &policy,
            Device::Desktop,
            only_typing,
            FirstFactorTyping::NotGiven,
            T0
        ),
        Err(SignInError::NoSecondFactor)
    );
    // Mobile goes straight to codes: typing alone is nothing there.
    assert_eq!(
        SignIn::create(
            &Policy::default(),
            Device::Mobile,
            only_typing,
            FirstFactorTyping::NotGiven,
            T0
        ),
        Err(SignInError::NoSecondFactor)
    );
}

#[test]
fn mobile_sign_ins_offer_codes_only_and_never_enrol() {
    let s = SignIn::create(
        &Policy::default(),
        Device::Mobile,
        UserFactors {
            typing_enrolments: 0,
            ..everything()
        },
        FirstFactorTyping::Matched,
        T0,
    )
    .unwrap();
    assert!(!s.supported.contains(&Strategy::Typing));
    assert!(s.enrolment.is_none());
    assert_eq!(
        s.status,
        SignInStatus::NeedsSecondFactor,
        "no invisible pass"
    );
    assert_eq!(
        s.admit_prepare(T0, Strategy::Typing),
        Err(SignInError::StrategyNotAvailable)
    );
}

#[test]
fn the_first_factors_rhythm_completes_at_once() {
    let s = SignIn::create(
        &Policy::default(),
        Device::Desktop,
        everything(),
        FirstFactorTyping::Matched,
        T0,
    )
    .unwrap();
    assert_eq!(s.status, SignInStatus::Complete);
    assert_eq!(s.completed_by, Some(Strategy::Typing));
    let v = verification(&s);
    assert_eq!(
        (v.status, v.strategy, v.attempts),
        (VerificationStatus::Verified, Strategy::Typing, 0)
    );
    assert_eq!(
        s.admit_prepare(at(1), Strategy::EmailCode),
        Err(SignInError::AlreadyComplete)
    );

    let s = SignIn::create(
        &Policy::default(),
        Device::Desktop,
        everything(),
        FirstFactorTyping::NotMatched,
        T0,
    )
    .unwrap();
    assert_eq!(s.status, SignInStatus::NeedsSecondFactor);
    assert!(s.verification.is_none());
}

#[test]
fn typing_passes_on_a_prepared_text() {
    let s = create(everything());
    assert_eq!(
        s.admit_attempt(at(1), &typing(7, "d1")),
        Err(SignInError::NotPrepared)
    );
    assert_eq!(
        s.admit_prepare(at(1), Strategy::Typing),
        Ok(PrepareStep::Text(TextPurpose::Verify))
    );
    let s = text(&s, at(1), 7);
    let v = verification(&s);
    assert_eq!(
        (v.status, v.strategy, v.attempts, v.expire_at),
        (VerificationStatus::Unverified, Strategy::Typing, 0, at(600))
    );
    assert_eq!(
        s.admit_attempt(at(2), &typing(7, "d1")),
        Ok(AttemptStep::MatchTyping)
    );
    let done = s
        .record_attempt(at(2), &typing(7, "d1"), AttemptResult::TypingMatched)
        .unwrap();
    assert!(done.enrol.is_empty());
    let s = done.next;
    assert_eq!(s.status, SignInStatus::Complete);
    assert_eq!(s.completed_by, Some(Strategy::Typing));
    assert_eq!(verification(&s).status, VerificationStatus::Verified);
    assert_eq!(verification(&s).attempts, 1);
    assert_eq!(
        s.admit_attempt(at(3), &typing(7, "d2")),
        Err(SignInError::AlreadyComplete)
    );
}

#[test]
fn typing_refuses_other_texts_replays_and_reused_texts() {
    let s = text(&create(everything()), at(1), 7);
    assert_eq!(
        s.admit_attempt(at(2), &typing(8, "d1")),
        Err(SignInError::WrongText)
    );
    let s = s
        .record_attempt(at(2), &typing(7, "d1"), AttemptResult::TypingNotMatched)
        .unwrap()
        .next;
    assert_eq!(
        s.admit_attempt(at(3), &typing(7, "d1")),
        Err(SignInError::PatternReplayed)
    );
    assert_eq!(
        s.admit_attempt(at(3), &typing(7, "d2")),
        Err(SignInError::TextAlreadyUsed)
    );
    let s = text(&s, at(4), 9);
    assert_eq!(
        s.admit_attempt(at(4), &typing(9, "d1")),
        Err(SignInError::PatternReplayed),
        "a replay of the first pattern on the second text"
    );
    // Refusals change nothing: the state the caller keeps is the one before.
    assert_eq!(s.typing_attempts, 1);
}

#[test]
fn a_new_text_retires_the_last_and_texts_are_capped() {
    let mut s = create(everything());
    for id in 1..=6 {
        s = text(&s, at(1), id);
    }
    assert_eq!(
        s.admit_attempt(at(2), &typing(5, "a")),
        Err(SignInError::TextAlreadyUsed),
        "a retired text"
    );
    assert_eq!(
        s.admit_attempt(at(2), &typing(6, "a")),
        Ok(AttemptStep::MatchTyping)
    );
    assert_eq!(
        s.admit_prepare(at(2), Strategy::Typing),
        Err(SignInError::AttemptsExhausted),
        "2 attempts x 3 texts"
    );
}

#[test]
fn failed_typing_counts_then_falls_back_to_codes() {
    let s = text(&create(everything()), at(1), 1);
    let s = s
        .record_attempt(at(2), &typing(1, "a"), AttemptResult::TypingNotMatched)
        .unwrap()
        .next;
    let v = verification(&s);
    assert_eq!(
        (v.status, v.attempts, v.error),
        (
            VerificationStatus::Failed,
            1,
            Some(SignInError::TypingNotMatched)
        )
    );
    assert_eq!(s.typing_attempts, 1);
    assert!(s.supported.contains(&Strategy::Typing));
    let s = text(&s, at(3), 2);
    assert_eq!(verification(&s).attempts, 1, "attempts carry over");
    let s = s
        .record_attempt(at(4), &typing(2, "b"), AttemptResult::TypingNotMatched)
        .unwrap()
        .next;
    assert_eq!(verification(&s).attempts, 2);
    assert_eq!(
        s.supported,
        [
            Strategy::EmailCode,
            Strategy::PhoneCode,
            Strategy::Totp,
            Strategy::BackupCode
        ]
    );
    assert_eq!(s.status, SignInStatus::NeedsSecondFactor);
    assert_eq!(
        s.admit_prepare(at(5), Strategy::Typing),
        Err(SignInError::AttemptsExhausted)
    );
    let s = send(&s, at(5), Strategy::EmailCode);
    let v = verification(&s);
    assert_eq!(
        (v.status, v.strategy, v.attempts, v.expire_at),
        (
            VerificationStatus::Unverified,
            Strategy::EmailCode,
            0,
            at(300)
        )
    );
    let attempt = Attempt::Code(Strategy::EmailCode);
    assert_eq!(s.admit_attempt(at(6), &attempt), Ok(AttemptStep::CheckCode));
    let s = s
        .record_attempt(at(6), &attempt, AttemptResult::CodeAccepted)
        .unwrap()
        .next;
    assert_eq!(s.status, SignInStatus::Complete);
    assert_eq!(s.completed_by, Some(Strategy::EmailCode));
}

#[test]
fn typing_alone_fails_the_sign_in_when_its_attempts_run_out() {
    let policy = Policy {
        strategies: vec![Strategy::Typing],
        typing_attempts: 1,
        ..Policy::default()
    };
    let s = SignIn::create(
        &policy,
        Device::Desktop,
        everything(),
        FirstFactorTyping::NotGiven,
        T0,
    )
    .unwrap();
    let s = text(&s, at(1), 1)
        .record_attempt(at(2), &typing(1, "a"), AttemptResult::TypingNotMatched)
        .unwrap()
        .next;
    assert_eq!(s.status, SignInStatus::Failed);
    assert_eq!(
        s.admit_prepare(at(3), Strategy::Typing),
        Err(SignInError::Failed)
    );
}

#[test]
fn codes_need_sending_first_and_expire() {
    let s = create(everything());
    let attempt = Attempt::Code(Strategy::PhoneCode);
    assert_eq!(
        s.admit_attempt(at(1), &attempt),
        Err(SignInError::NotPrepared)
    );
    let s = send(&s, at(1), Strategy::PhoneCode);
    assert_eq!(
        s.admit_attempt(at(300), &attempt),
        Err(SignInError::CodeExpired)
    );
    // A new code replaces the old one.
    let s = s
        .record_prepare(
            at(301),
            Strategy::PhoneCode,
            Prepared::CodeSent { expire_at: at(500) },
        )
        .unwrap();
    assert_eq!(s.codes_sent, [(Strategy::PhoneCode, at(500))]);
    assert_eq!(
        s.admit_attempt(at(302), &attempt),
        Ok(AttemptStep::CheckCode)
    );
}

#[test]
fn totp_and_backup_codes_need_no_preparation() {
    let s = create(everything());
    assert_eq!(
        s.admit_prepare(at(1), Strategy::Totp),
        Ok(PrepareStep::Nothing)
    );
    for strategy in [Strategy::Totp, Strategy::BackupCode] {
        let attempt = Attempt::Code(strategy);
        assert_eq!(s.admit_attempt(at(1), &attempt), Ok(AttemptStep::CheckCode));
        let done = s
            .record_attempt(at(1), &attempt, AttemptResult::CodeAccepted)
            .unwrap()
            .next;
        assert_eq!(done.completed_by, Some(strategy));
        let v = verification(&done);
        assert_eq!((v.strategy, v.attempts), (strategy, 1));
    }
}

#[test]
fn wrong_codes_are_counted_across_code_strategies() {
    let s = create(everything());
    let totp = Attempt::Code(Strategy::Totp);
    let backup = Attempt::Code(Strategy::BackupCode);
    let s = s
        .record_attempt(at(1), &totp, AttemptResult::CodeRejected)
        .unwrap()
        .next;
    assert_eq!(verification(&s).error, Some(SignInError::CodeIncorrect));
    let s = s
        .record_attempt(at(2), &backup, AttemptResult::CodeRejected)
        .unwrap()
        .next;
    assert_eq!(verification(&s).attempts, 1, "per strategy");
    let s = s
        .record_attempt(at(3), &totp, AttemptResult::CodeRejected)
        .unwrap()
        .next;
    assert_eq!(s.code_attempts, 3);
    assert_eq!(s.supported, [Strategy::Typing]);
    assert_eq!(
        s.admit_attempt(at(4), &totp),
        Err(SignInError::AttemptsExhausted)
    );
    assert_eq!(s.status, SignInStatus::NeedsSecondFactor, "typing is left");
}

#[test]
fn a_strategy_the_user_does_not_have_is_refused() {
    let s = create(UserFactors {
        email: true,
        typing_enrolments: 3,
        ..UserFactors::default()
    });
    for strategy in [Strategy::PhoneCode, Strategy::Totp, Strategy::BackupCode] {
        assert_eq!(
            s.admit_prepare(at(1), strategy),
            Err(SignInError::StrategyNotAvailable)
        );
        assert_eq!(
            s.admit_attempt(at(1), &Attempt::Code(strategy)),
            Err(SignInError::StrategyNotAvailable)
        );
    }
    assert_eq!(
        s.admit_attempt(at(1), &Attempt::Code(Strategy::Typing)),
        Err(SignInError::StrategyNotAvailable)
    );
}

#[test]
fn sign_ins_expire_by_time() {
    let s = text(&create(everything()), at(1), 1);
    assert_eq!(s.at(at(599)).status, SignInStatus::NeedsSecondFactor);
    let expired = s.at(at(600));
    assert_eq!(expired.status, SignInStatus::Expired);
    assert_eq!(verification(&expired).status, VerificationStatus::Expired);
    assert_eq!(
        s.admit_attempt(at(600), &typing(1, "a")),
        Err(SignInError::Expired)
    );
    assert_eq!(
        s.record_attempt(at(601), &typing(1, "a"), AttemptResult::TypingMatched),
        Err(SignInError::Expired)
    );
    assert_eq!(
        s.admit_prepare(at(600), Strategy::EmailCode),
        Err(SignInError::Expired)
    );
    // A complete sign-in stays complete.
    let done = s
        .record_attempt(at(2), &typing(1, "a"), AttemptResult::TypingMatched)
        .unwrap()
        .next;
    assert_eq!(done.at(at(10_000)).status, SignInStatus::Complete);
}

#[test]
fn enrolment_samples_are_released_only_by_a_root_of_trust_code() {
    let s = create(UserFactors {
        typing_enrolments: 0,
        email: true,
        backup_codes: 3,
        ..UserFactors::default()
    });
    assert!(!s.supported.contains(&Strategy::Typing));
    let mut s = s;
    for id in 1..=3 {
        assert_eq!(
            s.admit_prepare(at(id.into()), Strategy::Typing),
            Ok(PrepareStep::Text(TextPurpose::Enrol))
        );
        s = text(&s, at(id.into()), id);
        let attempt = typing(id, &format!("d{id}"));
        assert_eq!(
            s.admit_attempt(at(id.into()), &attempt),
            Ok(AttemptStep::KeepEnrolmentSample)
        );
        s = s
            .record_attempt(
                at(id.into()),
                &attempt,
                AttemptResult::EnrolmentSample(format!("pattern {id}")),
            )
            .unwrap()
            .next;
        assert_eq!(verification(&s).status, VerificationStatus::Unverified);
    }
    assert_eq!(
        s.admit_prepare(at(4), Strategy::Typing),
        Err(SignInError::EnrolmentTextsIssued)
    );
    // A backup code completes the sign-in but proves no root of trust: nothing enrolled.
    let backup = Attempt::Code(Strategy::BackupCode);
    let by_backup = s
        .record_attempt(at(5), &backup, AttemptResult::CodeAccepted)
        .unwrap();
    assert!(by_backup.enrol.is_empty());
    assert!(by_backup.next.enrolment.is_none());
    // A wrong e-mail code releases nothing either.
    let s = send(&s, at(5), Strategy::EmailCode);
    let email = Attempt::Code(Strategy::EmailCode);
    let wrong = s
        .record_attempt(at(6), &email, AttemptResult::CodeRejected)
        .unwrap();
    assert!(wrong.enrol.is_empty());
    assert_eq!(wrong.next.enrolment.as_ref().unwrap().samples.len(), 3);
    let right = wrong
        .next
        .record_attempt(at(7), &email, AttemptResult::CodeAccepted)
        .unwrap();
    assert_eq!(right.enrol, ["pattern 1", "pattern 2", "pattern 3"]);
    assert_eq!(right.next.status, SignInStatus::Complete);
    assert!(right.next.enrolment.is_none());
}

#[test]
fn without_a_root_of_trust_nothing_is_enrolled() {
    let s = create(UserFactors {
        typing_enrolments: 0,
        backup_codes: 3,
        ..UserFactors::default()
    });
    assert!(s.enrolment.is_none());
    assert_eq!(
        s.admit_prepare(at(1), Strategy::Typing),
        Err(SignInError::StrategyNotAvailable)
    );
}

#[test]
fn results_that_do_not_fit_the_step_are_refused() {
    let s = create(everything());
    assert_eq!(
        s.record_prepare(at(1), Strategy::Typing, Prepared::Nothing),
        Err(SignInError::PreparationMismatch)
    );
    let s = text(&s, at(1), 1);
    assert_eq!(
        s.record_attempt(at(2), &typing(1, "a"), AttemptResult::CodeAccepted),
        Err(SignInError::PreparationMismatch)
    );
}

#[test]
fn the_state_survives_json() {
    let s = send(
        &text(&create(everything()), at(1), 1),
        at(2),
        Strategy::EmailCode,
    );
    let json = serde_json::to_string(&s).unwrap();
    let back: SignIn = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(
        serde_json::to_string(&SignInError::PatternReplayed).unwrap(),
        "\"pattern_replayed\""
    );
}
