//! What an application allows in its sign-ins.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A way to prove the second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Typing a generated text, matched against the user's typing enrolment.
    Typing,
    /// A code sent to the user's e-mail address.
    EmailCode,
    /// A code sent by SMS to the user's phone.
    PhoneCode,
    /// A code of the user's verified TOTP factor.
    Totp,
    /// One of the user's single-use backup codes.
    BackupCode,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::Typing,
        Strategy::EmailCode,
        Strategy::PhoneCode,
        Strategy::Totp,
        Strategy::BackupCode,
    ];

    /// The wire name (`typing`, `email_code`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Typing => "typing",
            Strategy::EmailCode => "email_code",
            Strategy::PhoneCode => "phone_code",
            Strategy::Totp => "totp",
            Strategy::BackupCode => "backup_code",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A one-time code of some kind (everything but typing).
    pub fn is_code(self) -> bool {
        self != Strategy::Typing
    }

    /// The server sends the code when the strategy is prepared.
    pub fn sends_code(self) -> bool {
        matches!(self, Strategy::EmailCode | Strategy::PhoneCode)
    }

    /// Proves the user holds something registered before (an inbox, a phone, an
    /// authenticator), so typing samples given in the same sign-in may be enrolled. Backup
    /// codes are left out: they are the last resort of a user who lost the others.
    pub fn is_root_of_trust(self) -> bool {
        matches!(
            self,
            Strategy::EmailCode | Strategy::PhoneCode | Strategy::Totp
        )
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The device class a sign-in happens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Desktop,
    Mobile,
}

/// An application's sign-in policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Strategies offered, in the order they are preferred (the order of
    /// `supported_second_factors`).
    pub strategies: Vec<Strategy>,
    /// The matcher's quality for typing attempts (1 convenience, 2 balanced, 3 security).
    pub typing_quality: u8,
    /// Failed typing attempts after which typing is no longer offered in the sign-in.
    pub typing_attempts: u32,
    /// Wrong codes (all code strategies together) after which codes are no longer offered.
    pub code_attempts: u32,
    /// Typing enrolments on the device class before typing is offered.
    pub min_enrolments: u32,
    /// Generated texts a user without typing enrolment types, enrolled once a code proved
    /// who they are.
    pub enrolment_texts: u32,
    /// Mobile devices go straight to codes (typing is neither offered nor enrolled there).
    pub mobile_uses_codes: bool,
    /// Seconds a sign-in lives.
    pub lifetime_seconds: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            strategies: Strategy::ALL.to_vec(),
            typing_quality: 2,
            typing_attempts: 2,
            code_attempts: 3,
            min_enrolments: 3,
            enrolment_texts: 3,
            mobile_uses_codes: true,
            lifetime_seconds: 600,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("no strategy is allowed")]
    NoStrategy,
    #[error("strategy {0} is listed twice")]
    RepeatedStrategy(Strategy),
    #[error("typing_quality must be 1, 2 or 3")]
    Quality,
    #[error("{0} must be between 1 and {1}")]
    OutOfRange(&'static str, u64),
}

impl Policy {
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.strategies.is_empty() {
            return Err(PolicyError::NoStrategy);
        }
        for (i, s) in self.strategies.iter().enumerate() {
            if self.strategies[..i].contains(s) {
                return Err(PolicyError::RepeatedStrategy(*s));
            }
        }
        if !(1..=3).contains(&self.typing_quality) {
            return Err(PolicyError::Quality);
        }
        let ranges: [(&'static str, u64, u64); 5] = [
            ("typing_attempts", self.typing_attempts.into(), 10),
            ("code_attempts", self.code_attempts.into(), 10),
            ("min_enrolments", self.min_enrolments.into(), 20),
            ("enrolment_texts", self.enrolment_texts.into(), 10),
            ("lifetime_seconds", self.lifetime_seconds, 3600),
        ];
        for (name, value, max) in ranges {
            if !(1..=max).contains(&value) {
                return Err(PolicyError::OutOfRange(name, max));
            }
        }
        Ok(())
    }

    /// Typing takes part on this device at all (offered, or enrolled).
    pub fn typing_on(&self, device: Device) -> bool {
        self.strategies.contains(&Strategy::Typing)
            && !(device == Device::Mobile && self.mobile_uses_codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::from_name(s.name()), Some(s));
            let json = format!("\"{}\"", s.name());
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
        }
        assert_eq!(Strategy::from_name("password"), None);
    }

    #[test]
    fn policies_are_checked() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let bad = |change: fn(&mut Policy)| {
            let mut p = Policy::default();
            change(&mut p);
            p.validate().unwrap_err()
        };
        assert_eq!(bad(|p| p.strategies.clear()), PolicyError::NoStrategy);
        assert_eq!(
            bad(|p| p.strategies.push(Strategy::Totp)),
            PolicyError::RepeatedStrategy(Strategy::Totp)
        );
        assert_eq!(bad(|p| p.typing_quality = 4), PolicyError::Quality);
        assert_eq!(
            bad(|p| p.typing_attempts = 0),
            PolicyError::OutOfRange("typing_attempts", 10)
        );
        assert_eq!(
            bad(|p| p.lifetime_seconds = 7200),
            PolicyError::OutOfRange("lifetime_seconds", 3600)
        );
    }

    #[test]
    fn mobile_devices_go_to_codes_by_default() {
        let mut p = Policy::default();
        assert!(p.typing_on(Device::Desktop));
        assert!(!p.typing_on(Device::Mobile));
        p.mobile_uses_codes = false;
        assert!(p.typing_on(Device::Mobile));
        p.strategies.retain(|s| *s != Strategy::Typing);
        assert!(!p.typing_on(Device::Desktop));
    }
}
