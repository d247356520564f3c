//! The window's service: decides the window's next step from the state of its sign-in (on the
//! sign-in domain, `crate::signin`; opened by [`super::open`]), runs attempts, and mints the
//! one-time Verify code the page receives when the sign-in completes.
//!
//! A window's session is a sign-in. Its browser token is the sign-in's `client_token`
//! followed by a MAC of the sign-in id under the server's pepper, so a token the back end got
//! from `POST /v1/sign_ins` cannot drive a window (and mint Verify codes): only sign-ins the
//! window created can.

use keycadence_otp::{CodeBinding, UnixMillis, UserIdentifier};
use keycadence_signin::{SignIn, SignInError, SignInStatus, Strategy, TextPurpose};
use subtle::ConstantTimeEq;

use super::error::WindowError;
use crate::app::AppState;
use crate::keyed_hash::keyed_hex;
use crate::otp::apps::VerifyApp;
use crate::signin::{self, Loaded, SignInSnapshot, Submitted};

pub type WindowResult<T> = Result<T, WindowError>;

/// The window's half of a session token: a MAC of the sign-in id.
pub(super) fn window_proof(state: &AppState, session: &str) -> String {
    keyed_hex(
        state.otp.pepper(),
        &[b"keycadence-server/verify-window/v1\0", session.as_bytes()],
    )
}

/// Loads a window's sign-in for a request with `token` (both halves checked).
async fn load(state: &AppState, session: &str, token: &str) -> WindowResult<Loaded> {
    let (client_token, proof) = token
        .rsplit_once('.')
        .ok_or(signin::error::SignInFailure::TokenInvalid)?;
    let expected = window_proof(state, session);
    if !bool::from(proof.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(signin::error::SignInFailure::TokenInvalid.into());
    }
    let loaded = signin::load_for_browser(state, session).await?;
    loaded.check_token(client_token)?;
    Ok(loaded)
}

/// The code strategy of the sign-in (e-mail before SMS).
fn code_strategy(s: &SignIn) -> Option<Strategy> {
    s.supported.iter().copied().find(|st| st.sends_code())
}

fn code_alive(s: &SignIn, strategy: Strategy, now: UnixMillis) -> bool {
    s.codes_sent
        .iter()
        .any(|(st, expiry)| *st == strategy && now < *expiry)
}

/// The window's next move for a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Prepare(Strategy),
    Type,
    EnterCode,
}

/// First time (an enrolment to build): the code is sent first, then the texts are typed,
/// then the code proves the user and the texts are enrolled. Verification: a text to type
/// while typing is on offer (and the user did not ask for a code), else a code.
fn decide(s: &SignIn, now: UnixMillis, want_code: bool) -> Result<Decision, SignInError> {
    match s.status {
        SignInStatus::NeedsSecondFactor => {}
        SignInStatus::Complete => return Err(SignInError::AlreadyComplete),
        SignInStatus::Expired => return Err(SignInError::Expired),
        SignInStatus::Failed => return Err(SignInError::Failed),
    }
    let newest_open = |purpose: TextPurpose| {
        s.prompts
            .iter()
            .rev()
            .find(|p| p.purpose == purpose)
            .is_some_and(|p| !p.used)
    };
    let code = code_strategy(s);
    if let Some(enrolment) = &s.enrolment {
        let code = code.ok_or(SignInError::NoSecondFactor)?;
        if !code_alive(s, code, now) {
            return Ok(Decision::Prepare(code));
        }
        if newest_open(TextPurpose::Enrol) {
            return Ok(Decision::Type);
        }
        let issued = s
            .prompts
            .iter()
            .filter(|p| p.purpose == TextPurpose::Enrol)
            .count();
        return Ok(if issued < enrolment.texts as usize {
            Decision::Prepare(Strategy::Typing)
        } else {
            Decision::EnterCode
        });
    }
    let on_code = s
        .verification
        .as_ref()
        .is_some_and(|v| v.strategy.sends_code());
    if s.supported.contains(&Strategy::Typing) && !want_code && !on_code {
        return Ok(if newest_open(TextPurpose::Verify) {
            Decision::Type
        } else {
            Decision::Prepare(Strategy::Typing)
        });
    }
    let code = code.ok_or(SignInError::Failed)?;
    Ok(if code_alive(s, code, now) {
        Decision::EnterCode
    } else {
        Decision::Prepare(code)
    })
}

/// What the window shows next.
#[derive(Clone, Debug)]
pub enum WindowStep {
    /// A text to type or a code to enter. After an attempt, `attempt` holds why it failed
    /// (`None` when the step follows no attempt).
    Show {
        sign_in: Box<SignInSnapshot>,
        decision: Decision,
        attempt: Option<Option<SignInError>>,
    },
    /// The sign-in completed: the Verify code the page receives.
    Done { otp: String },
}

/// The window's next step, preparing what it needs (a code sent, a text issued).
pub async fn next(
    state: &AppState,
    session: &str,
    token: &str,
    want_code: bool,
) -> WindowResult<WindowStep> {
    // At most: send the code, issue a text, show it.
    for _ in 0..3 {
        let loaded = load(state, session, token).await?;
        let now = state.clock.now();
        let s = loaded.record.state.at(now);
        match decide(&s, now, want_code)? {
            Decision::Prepare(strategy) => {
                signin::prepare(state, loaded, strategy).await?;
            }
            shown => {
                return Ok(WindowStep::Show {
                    sign_in: Box::new(SignInSnapshot {
                        id: session.to_string(),
                        record: loaded.record,
                        at: now,
                    }),
                    decision: shown,
                    attempt: None,
                });
            }
        }
    }
    Err(WindowError::Internal(
        "the window's next step did not settle".into(),
    ))
}

/// An attempt: a typed pattern or a code. A completed sign-in mints the Verify code the page
/// receives; otherwise the next step, with `notice` saying why the attempt failed.
pub async fn attempt(
    state: &AppState,
    session: &str,
    token: &str,
    given: Submitted,
) -> WindowResult<WindowStep> {
    let loaded = load(state, session, token).await?;
    let s = loaded.record.state.at(state.clock.now());
    let strategy = match &given {
        Submitted::Pattern(_) => Strategy::Typing,
        Submitted::Code(_) => s
            .verification
            .as_ref()
            .map(|v| v.strategy)
            .filter(|st| st.sends_code())
            .or_else(|| s.codes_sent.first().map(|(st, _)| *st))
            .ok_or(SignInError::NotPrepared)?,
    };
    let record = loaded.record.clone();
    let app = loaded.app.clone();
    let attempted = signin::attempt(state, loaded, strategy, given).await?;
    let after = attempted.record.state.at(attempted.at);
    match after.status {
        SignInStatus::Complete => {
            let otp = mint(state, &app, &record).await?;
            Ok(WindowStep::Done { otp })
        }
        SignInStatus::NeedsSecondFactor => {
            let failed = after.verification.and_then(|v| v.error);
            match next(state, session, token, false).await? {
                WindowStep::Show {
                    sign_in, decision, ..
                } => Ok(WindowStep::Show {
                    sign_in,
                    decision,
                    attempt: Some(failed),
                }),
                done => Ok(done),
            }
        }
        _ => Err(SignInError::Failed.into()),
    }
}

/// Issues the user's Verify code (the one `/otp/validate` checks), as `/otp/send` would but
/// without delivering it: the window hands it to the page.
async fn mint(
    state: &AppState,
    app: &VerifyApp,
    record: &signin::SignInRecord,
) -> WindowResult<String> {
    let user = match (&record.contact.email, &record.contact.phone) {
        (Some(email), _) => UserIdentifier::Email(email.clone()),
        (None, Some(phone)) => UserIdentifier::Phone(phone.clone()),
        (None, None) => UserIdentifier::Id(record.user_id.clone()),
    };
    let otp = &state.otp;
    let user_key = otp.user_key(&app.application_id, &user);
    let _user = otp.lock_user(app.app_ref, &user_key).await;
    let (current, version): (keycadence_otp::OtpRecord, _) =
        match state.db.code_records().load(app.app_ref, &user_key).await? {
            Some(stored) => (serde_json::from_str(&stored.json)?, Some(stored.version)),
            None => (Default::default(), None),
        };
    let binding = CodeBinding::new(&app.application_id, &user);
    // A minted code is delivered to nobody, so it does not count among the user's sends (they
    // cap deliveries; the window's own e-mails and SMS count in the sign-in). A locked-out
    // user gets none.
    let unsent = keycadence_otp::OtpRecord {
        sends: Default::default(),
        ..current.clone()
    };
    let issued = app
        .codes
        .issue(&unsent, &binding, state.clock.now(), &mut rand::rngs::OsRng)
        .map_err(|_| WindowError::TooManyCodes)?;
    let next = keycadence_otp::OtpRecord {
        sends: current.sends,
        ..issued.next
    };
    let json = serde_json::to_string(&next)?;
    if !state
        .db
        .code_records()
        .swap(
            app.app_ref,
            &user_key,
            version,
            &json,
            state.clock.now_millis(),
        )
        .await?
    {
        return Err(WindowError::Internal(
            "another instance changed the user's code record".into(),
        ));
    }
    Ok(issued.code.as_str().to_string())
}
