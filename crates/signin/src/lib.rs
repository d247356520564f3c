//! # keycadence-signin
//!
//! Sign-in second factors, sans IO: one sign-in per user and application after the first
//! factor, which tries typing first and falls back to one-time codes, in the shape of Clerk's
//! second factor (`needs_second_factor` → `complete`, or `expired` / `failed`;
//! `prepare_second_factor`, `attempt_second_factor`, `second_factor_verification`).
//!
//! No clock, no randomness, no matcher, no store: the caller passes the time, the generated
//! text, the matcher's decision and whether a code was right, and persists what comes back.
//!
//! | module | job |
//! |---|---|
//! | [`policy`] | strategies, an application's [`Policy`] |
//! | [`state`] | the [`SignIn`] and its transitions |
//! | [`phrases`] | generated texts to type |

pub mod phrases;
pub mod policy;
pub mod state;
#[cfg(test)]
mod tests;

pub use policy::{Device, Policy, PolicyError, Strategy};
pub use state::{
    Attempt, AttemptResult, AttemptStep, Enrolment, FirstFactorTyping, PrepareStep, Prepared,
    Prompt, Recorded, SignIn, SignInStatus, TextPurpose, UserFactors, Verification,
    VerificationStatus,
};

use serde::{Deserialize, Serialize};

/// Why the state machine refuses a request, or why an attempt failed. Each has a stable wire
/// code (its serde name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum SignInError {
    #[error("the user has no second factor this application allows on this device")]
    NoSecondFactor,
    #[error("the sign-in has expired")]
    Expired,
    #[error("the sign-in is already complete")]
    AlreadyComplete,
    #[error("the sign-in has failed: no second factor is left to try")]
    Failed,
    #[error("this strategy is not available to this user in this sign-in")]
    StrategyNotAvailable,
    #[error("the attempts allowed for this strategy are used up")]
    AttemptsExhausted,
    #[error("prepare this strategy first")]
    NotPrepared,
    #[error("the pattern is not of a text prepared in this sign-in")]
    WrongText,
    #[error("this text was already typed once; prepare a new one")]
    TextAlreadyUsed,
    #[error("this pattern was submitted before")]
    PatternReplayed,
    #[error("all enrolment texts of this sign-in were issued")]
    EnrolmentTextsIssued,
    #[error("the code has expired; prepare a new one")]
    CodeExpired,
    #[error("the typing did not match the user's enrolment")]
    TypingNotMatched,
    #[error("the code is incorrect")]
    CodeIncorrect,
    /// The caller's result does not fit the step it was admitted for (a bug of the caller).
    #[error("the result does not fit the prepared step")]
    PreparationMismatch,
}
