//! The enrol/verify decision (store the patterns, verify them, or both, by how many are
//! enrolled), as a pure function of the endpoint, the bucket size and the tenant's settings.

use crate::settings::TenantSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Auto,
    Verify,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Store the patterns without verifying (below the minimum).
    Enrol,
    /// Verify; when `enrol_at_score` is set, also store the patterns if they verified with at
    /// least that score.
    Verify { enrol_at_score: Option<f64> },
    /// Below the minimum with forced enrolment off: store nothing, verify nothing (code 9).
    RefuseNotEnough,
    /// Nothing enrolled to compare with (code 4 or 3).
    NothingToCompare,
}

pub fn decide(endpoint: Endpoint, enrolled: u64, settings: &TenantSettings) -> Decision {
    let minimum = u64::from(settings.min_initial_enrollments);
    let threshold = settings.auto_enroll_threshold;
    match endpoint {
        Endpoint::Auto if enrolled < minimum => Decision::Enrol,
        Endpoint::Auto => Decision::Verify {
            enrol_at_score: Some(threshold),
        },
        Endpoint::Verify if !settings.auto_enroll => {
            if enrolled == 0 {
                Decision::NothingToCompare
            } else {
                Decision::Verify {
                    enrol_at_score: None,
                }
            }
        }
        Endpoint::Verify if enrolled >= minimum => Decision::Verify {
            enrol_at_score: Some(threshold),
        },
        Endpoint::Verify if settings.force_initial_enrollments => Decision::Enrol,
        Endpoint::Verify => Decision::RefuseNotEnough,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTO: f64 = keycadence_core::matcher::AUTO_ENROL_SCORE;

    fn settings(auto_enroll: bool, force: bool) -> TenantSettings {
        TenantSettings {
            auto_enroll,
            force_initial_enrollments: force,
            ..TenantSettings::default()
        }
    }

    #[test]
    fn auto_enrols_below_the_minimum_then_verifies_and_may_enrol() {
        let s = settings(false, false);
        assert_eq!(decide(Endpoint::Auto, 0, &s), Decision::Enrol);
        assert_eq!(decide(Endpoint::Auto, 2, &s), Decision::Enrol);
        assert_eq!(
            decide(Endpoint::Auto, 3, &s),
            Decision::Verify {
                enrol_at_score: Some(AUTO)
            }
        );
    }

    #[test]
    fn verify_follows_the_auto_enrol_settings() {
        let off = settings(false, false);
        assert_eq!(
            decide(Endpoint::Verify, 0, &off),
            Decision::NothingToCompare
        );
        assert_eq!(
            decide(Endpoint::Verify, 1, &off),
            Decision::Verify {
                enrol_at_score: None
            }
        );
        let on = settings(true, false);
        assert_eq!(decide(Endpoint::Verify, 2, &on), Decision::RefuseNotEnough);
        assert_eq!(
            decide(Endpoint::Verify, 3, &on),
            Decision::Verify {
                enrol_at_score: Some(AUTO)
            }
        );
        let forced = settings(true, true);
        assert_eq!(decide(Endpoint::Verify, 0, &forced), Decision::Enrol);
        assert_eq!(
            decide(Endpoint::Verify, 5, &forced),
            Decision::Verify {
                enrol_at_score: Some(AUTO)
            }
        );
    }
}
