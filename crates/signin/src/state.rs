//! The sign-in state machine. Every transition is a pure function of the stored state, the
//! time and what the caller found out (the matcher's decision, whether a code was right);
//! the caller persists the new state with a compare-and-swap.
//!
//! Operations come in two steps: `admit_*` says whether the request may go on and what the
//! caller must do (generate a text, send a code, run the matcher, check a code); `record_*`
//! takes the result and returns the next state. `record_*` admits again, so a state that
//! changed in between is caught.

use keycadence_otp::UnixMillis;
use serde::{Deserialize, Serialize};

use crate::policy::{Device, Policy, Strategy};
use crate::SignInError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    NeedsSecondFactor,
    Complete,
    Expired,
    Failed,
}

/// Clerk's `second_factor_verification.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Unverified,
    Verified,
    Failed,
    Expired,
}

/// The latest second-factor verification (Clerk's `second_factor_verification`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub status: VerificationStatus,
    pub strategy: Strategy,
    /// Attempts made with this strategy in this sign-in.
    pub attempts: u32,
    pub expire_at: UnixMillis,
    /// Why the last attempt failed.
    pub error: Option<SignInError>,
}

/// What the user has, found by the caller when the sign-in is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserFactors {
    /// Typing enrolments (type 2 patterns) on the sign-in's device class.
    pub typing_enrolments: u32,
    pub email: bool,
    pub phone: bool,
    /// A verified TOTP factor.
    pub totp: bool,
    /// Backup codes left.
    pub backup_codes: u32,
}

/// The invisible second factor: the first factor's type 1 pattern, matched by the caller
/// against the user's enrolment of that text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstFactorTyping {
    NotGiven,
    Matched,
    NotMatched,
}

/// Why a text was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextPurpose {
    /// Typed to pass the second factor.
    Verify,
    /// Typed to build a first enrolment (kept until a code proves the user).
    Enrol,
}

/// A text issued by `prepare_second_factor({strategy: typing})`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub text: String,
    pub text_id: u32,
    pub purpose: TextPurpose,
    /// An attempt was made with it (each text is typed once).
    pub used: bool,
}

/// A user without typing enrolment builds one in this sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Samples wanted.
    pub texts: u32,
    /// Type 2 patterns typed so far, held until a code proves the user.
    pub samples: Vec<String>,
}

/// A sign-in (stored as JSON by the caller).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub status: SignInStatus,
    pub created_at: UnixMillis,
    pub expire_at: UnixMillis,
    pub device: Device,
    /// The application's policy when the sign-in was created.
    pub policy: Policy,
    /// Strategies still on offer, in the policy's order.
    pub supported: Vec<Strategy>,
    pub verification: Option<Verification>,
    pub typing_attempts: u32,
    pub code_attempts: u32,
    pub prompts: Vec<Prompt>,
    /// SHA-256 digests of every pattern attempted, against replays.
    pub pattern_digests: Vec<String>,
    /// Code strategies whose code was sent, with the code's expiry.
    pub codes_sent: Vec<(Strategy, UnixMillis)>,
    pub enrolment: Option<Enrolment>,
    pub completed_by: Option<Strategy>,
}

/// Texts a sign-in may issue for verification per allowed typing attempt (a user may ask for
/// another text instead of typing the one shown).
pub const TEXTS_PER_TYPING_ATTEMPT: u32 = 3;

/// What the caller does for an admitted `prepare_second_factor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrepareStep {
    /// Generate a text for this purpose.
    Text(TextPurpose),
    /// Send a code by e-mail or SMS.
    SendCode,
    /// Nothing to prepare (TOTP, backup codes).
    Nothing,
}

/// What preparing produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prepared {
    Text { text: String, text_id: u32 },
    CodeSent { expire_at: UnixMillis },
    Nothing,
}

/// An attempt as submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// A type 2 pattern: its text id and digest.
    Typing {
        text_id: u32,
        digest: String,
    },
    Code(Strategy),
}

/// What the caller does for an admitted attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptStep {
    /// Run the matcher against the user's enrolment.
    MatchTyping,
    /// Keep the pattern as an enrolment sample (no matching).
    KeepEnrolmentSample,
    /// Check the code.
    CheckCode,
}

/// What the caller found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    TypingMatched,
    TypingNotMatched,
    /// The pattern to hold for enrolment.
    EnrolmentSample(String),
    CodeAccepted,
    CodeRejected,
}

/// The state after an attempt, and the patterns to enrol now (the held samples, once a
/// root-of-trust code succeeded).
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub next: SignIn,
    pub enrol: Vec<String>,
}

impl SignIn {
    /// A new sign-in for a user with `factors`. Fails when the user has no second factor the
    /// policy allows on this device.
    pub fn create(
        policy: &Policy,
        device: Device,
        factors: UserFactors,
        first_factor: FirstFactorTyping,
        now: UnixMillis,
    ) -> Result<SignIn, SignInError> {
        let typing_on = policy.typing_on(device);
        let enrolled = factors.typing_enrolments >= policy.min_enrolments;
        let supported: Vec<Strategy> = policy
            .strategies
            .iter()
            .copied()
            .filter(|s| match s {
                Strategy::Typing => typing_on && enrolled,
                Strategy::EmailCode => factors.email,
                Strategy::PhoneCode => factors.phone,
                Strategy::Totp => factors.totp,
                Strategy::BackupCode => factors.backup_codes > 0,
            })
            .collect();
        if supported.is_empty() {
            return Err(SignInError::NoSecondFactor);
        }
        let can_enrol = supported.iter().any(|s| s.is_root_of_trust());
        let expire_at = now.plus(std::time::Duration::from_secs(policy.lifetime_seconds));
        let mut signin = SignIn {
            status: SignInStatus::NeedsSecondFactor,
            created_at: now,
            expire_at,
            device,
            policy: policy.clone(),
            supported,
            verification: None,
            typing_attempts: 0,
            code_attempts: 0,
            prompts: Vec::new(),
            pattern_digests: Vec::new(),
            codes_sent: Vec::new(),
            enrolment: (typing_on && !enrolled && can_enrol).then(|| Enrolment {
                texts: policy.enrolment_texts,
                samples: Vec::new(),
            }),
            completed_by: None,
        };
        // The first factor's rhythm counts only where typing itself would be offered.
        if first_factor == FirstFactorTyping::Matched && signin.offers(Strategy::Typing) {
            signin.status = SignInStatus::Complete;
            signin.completed_by = Some(Strategy::Typing);
            signin.verification = Some(Verification {
                status: VerificationStatus::Verified,
                strategy: Strategy::Typing,
                attempts: 0,
                expire_at,
                error: None,
            });
        }
        Ok(signin)
    }

    fn offers(&self, strategy: Strategy) -> bool {
        self.supported.contains(&strategy)
    }

    /// The state as it is at `now`: a sign-in still waiting past its expiry is expired.
    pub fn at(&self, now: UnixMillis) -> SignIn {
        let mut s = self.clone();
        if s.status == SignInStatus::NeedsSecondFactor && now >= s.expire_at {
            s.status = SignInStatus::Expired;
            if let Some(v) = &mut s.verification {
                if v.status == VerificationStatus::Unverified {
                    v.status = VerificationStatus::Expired;
                }
            }
        }
        s
    }

    /// The sign-in is waiting for a second factor at `now`.
    fn open(&self, now: UnixMillis) -> Result<(), SignInError> {
        match self.at(now).status {
            SignInStatus::NeedsSecondFactor => Ok(()),
            SignInStatus::Complete => Err(SignInError::AlreadyComplete),
            SignInStatus::Expired => Err(SignInError::Expired),
            SignInStatus::Failed => Err(SignInError::Failed),
        }
    }

    /// Typing in enrolment mode: the user has no enrolment and still needs samples.
    fn enrolling(&self) -> Option<&Enrolment> {
        self.enrolment.as_ref()
    }

    /// Whether `prepare_second_factor({strategy})` may go on, and what it takes.
    pub fn admit_prepare(
        &self,
        now: UnixMillis,
        strategy: Strategy,
    ) -> Result<PrepareStep, SignInError> {
        self.open(now)?;
        if strategy == Strategy::Typing && !self.offers(Strategy::Typing) {
            let Some(enrolment) = self.enrolling() else {
                return Err(self.unavailable(strategy));
            };
            let issued = self
                .prompts
                .iter()
                .filter(|p| p.purpose == TextPurpose::Enrol)
                .count();
            if issued >= enrolment.texts as usize {
                return Err(SignInError::EnrolmentTextsIssued);
            }
            return Ok(PrepareStep::Text(TextPurpose::Enrol));
        }
        if !self.offers(strategy) {
            return Err(self.unavailable(strategy));
        }
        if strategy == Strategy::Typing {
            let issued = self
                .prompts
                .iter()
                .filter(|p| p.purpose == TextPurpose::Verify)
                .count();
            // Asking for new texts without typing them must not grow the sign-in for ever.
            if issued >= (self.policy.typing_attempts * TEXTS_PER_TYPING_ATTEMPT) as usize {
                return Err(SignInError::AttemptsExhausted);
            }
        }
        Ok(match strategy {
            Strategy::Typing => PrepareStep::Text(TextPurpose::Verify),
            s if s.sends_code() => PrepareStep::SendCode,
            _ => PrepareStep::Nothing,
        })
    }

    /// A strategy the sign-in does not offer: used up, or never the user's.
    fn unavailable(&self, strategy: Strategy) -> SignInError {
        let used_up = match strategy {
            Strategy::Typing => self.typing_attempts >= self.policy.typing_attempts,
            _ => self.code_attempts >= self.policy.code_attempts,
        };
        if used_up {
            SignInError::AttemptsExhausted
        } else {
            SignInError::StrategyNotAvailable
        }
    }

    pub fn record_prepare(
        &self,
        now: UnixMillis,
        strategy: Strategy,
        prepared: Prepared,
    ) -> Result<SignIn, SignInError> {
        let step = self.admit_prepare(now, strategy)?;
        let mut next = self.clone();
        let attempts = self.attempts_with(strategy);
        let mut expire_at = self.expire_at;
        match (step, prepared) {
            (PrepareStep::Text(purpose), Prepared::Text { text, text_id }) => {
                // A new text retires the one not typed yet: only the newest can be typed.
                for p in next.prompts.iter_mut().filter(|p| p.purpose == purpose) {
                    p.used = true;
                }
                next.prompts.push(Prompt {
                    text,
                    text_id,
                    purpose,
                    used: false,
                });
            }
            (PrepareStep::SendCode, Prepared::CodeSent { expire_at: code }) => {
                next.codes_sent.retain(|(s, _)| *s != strategy);
                next.codes_sent.push((strategy, code));
                expire_at = expire_at.min(code);
            }
            (PrepareStep::Nothing, Prepared::Nothing) => {}
            _ => return Err(SignInError::PreparationMismatch),
        }
        next.verification = Some(Verification {
            status: VerificationStatus::Unverified,
            strategy,
            attempts,
            expire_at,
            error: None,
        });
        Ok(next)
    }

    fn attempts_with(&self, strategy: Strategy) -> u32 {
        match &self.verification {
            Some(v) if v.strategy == strategy => v.attempts,
            _ => 0,
        }
    }

    /// Whether an attempt may go on, and what it takes.
    pub fn admit_attempt(
        &self,
        now: UnixMillis,
        attempt: &Attempt,
    ) -> Result<AttemptStep, SignInError> {
        self.open(now)?;
        match attempt {
            Attempt::Typing { text_id, digest } => {
                let enrolling = !self.offers(Strategy::Typing) && self.enrolling().is_some();
                if !self.offers(Strategy::Typing) && !enrolling {
                    return Err(self.unavailable(Strategy::Typing));
                }
                let purpose = if enrolling {
                    TextPurpose::Enrol
                } else {
                    TextPurpose::Verify
                };
                let mut prompts = self
                    .prompts
                    .iter()
                    .filter(|p| p.purpose == purpose)
                    .peekable();
                if prompts.peek().is_none() {
                    return Err(SignInError::NotPrepared);
                }
                let prompt = prompts
                    .find(|p| p.text_id == *text_id)
                    .ok_or(SignInError::WrongText)?;
                if self.pattern_digests.contains(digest) {
                    return Err(SignInError::PatternReplayed);
                }
                if prompt.used {
                    return Err(SignInError::TextAlreadyUsed);
                }
                Ok(if enrolling {
                    AttemptStep::KeepEnrolmentSample
                } else {
                    AttemptStep::MatchTyping
                })
            }
            Attempt::Code(strategy) => {
                if !strategy.is_code() {
                    return Err(SignInError::StrategyNotAvailable);
                }
                if !self.offers(*strategy) {
                    return Err(self.unavailable(*strategy));
                }
                if strategy.sends_code() {
                    match self.codes_sent.iter().find(|(s, _)| s == strategy) {
                        None => return Err(SignInError::NotPrepared),
                        Some((_, expiry)) if now >= *expiry => {
                            return Err(SignInError::CodeExpired)
                        }
                        Some(_) => {}
                    }
                }
                Ok(AttemptStep::CheckCode)
            }
        }
    }

    pub fn record_attempt(
        &self,
        now: UnixMillis,
        attempt: &Attempt,
        result: AttemptResult,
    ) -> Result<Recorded, SignInError> {
        let step = self.admit_attempt(now, attempt)?;
        let mut next = self.clone();
        let mut enrol = Vec::new();
        let strategy = match attempt {
            Attempt::Typing { .. } => Strategy::Typing,
            Attempt::Code(s) => *s,
        };
        let attempts = self.attempts_with(strategy) + 1;
        let expire_at = match &self.verification {
            Some(v) if v.strategy == strategy => v.expire_at,
            _ => self.expire_at,
        };
        let (status, error) = match (step, result) {
            (AttemptStep::MatchTyping, AttemptResult::TypingMatched) => {
                next.use_prompt(attempt);
                next.complete(Strategy::Typing);
                (VerificationStatus::Verified, None)
            }
            (AttemptStep::MatchTyping, AttemptResult::TypingNotMatched) => {
                next.use_prompt(attempt);
                next.typing_attempts += 1;
                if next.typing_attempts >= next.policy.typing_attempts {
                    next.withdraw(|s| s == Strategy::Typing);
                }
                (
                    VerificationStatus::Failed,
                    Some(SignInError::TypingNotMatched),
                )
            }
            (AttemptStep::KeepEnrolmentSample, AttemptResult::EnrolmentSample(pattern)) => {
                next.use_prompt(attempt);
                if let Some(enrolment) = &mut next.enrolment {
                    enrolment.samples.push(pattern);
                }
                (VerificationStatus::Unverified, None)
            }
            (AttemptStep::CheckCode, AttemptResult::CodeAccepted) => {
                next.codes_sent.retain(|(s, _)| *s != strategy);
                if strategy.is_root_of_trust() {
                    if let Some(enrolment) = next.enrolment.take() {
                        enrol = enrolment.samples;
                    }
                }
                next.complete(strategy);
                (VerificationStatus::Verified, None)
            }
            (AttemptStep::CheckCode, AttemptResult::CodeRejected) => {
                next.code_attempts += 1;
                if next.code_attempts >= next.policy.code_attempts {
                    next.withdraw(Strategy::is_code);
                }
                (VerificationStatus::Failed, Some(SignInError::CodeIncorrect))
            }
            _ => return Err(SignInError::PreparationMismatch),
        };
        next.verification = Some(Verification {
            status,
            strategy,
            attempts,
            expire_at,
            error,
        });
        Ok(Recorded { next, enrol })
    }

    fn use_prompt(&mut self, attempt: &Attempt) {
        if let Attempt::Typing { text_id, digest } = attempt {
            if let Some(p) = self
                .prompts
                .iter_mut()
                .find(|p| p.text_id == *text_id && !p.used)
            {
                p.used = true;
            }
            self.pattern_digests.push(digest.clone());
        }
    }

    fn complete(&mut self, by: Strategy) {
        self.status = SignInStatus::Complete;
        self.completed_by = Some(by);
        self.enrolment = None;
    }

    /// Takes strategies off the offer; with none left the sign-in has failed.
    fn withdraw(&mut self, which: impl Fn(Strategy) -> bool) {
        self.supported.retain(|s| !which(*s));
        if self.supported.is_empty() {
            self.status = SignInStatus::Failed;
            self.enrolment = None;
        }
    }

    /// The texts issued for verification or enrolment (their words are kept out of the
    /// user's next texts).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.prompts.iter().map(|p| p.text.as_str())
    }
}
