//! The `quality` parameter: three operating points of the same scores.

/// Which error the caller would rather avoid (the tenant's "error to avoid"
/// setting: false accepts or false rejects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Quality {
    /// 1: favour the user: false rejections at most 2 % on development data.
    Low,
    /// 2: the equal-error point on development data (the API default).
    #[default]
    Medium,
    /// 3: favour security: false accepts at most 1 % on development data.
    High,
}

impl Quality {
    /// The API's numeric value (1, 2, 3); anything else is `None` (the server decides whether
    /// to clamp or refuse).
    pub fn from_api(n: i64) -> Option<Quality> {
        match n {
            1 => Some(Quality::Low),
            2 => Some(Quality::Medium),
            3 => Some(Quality::High),
            _ => None,
        }
    }

    /// The API's numeric value.
    pub fn to_api(self) -> i64 {
        match self {
            Quality::Low => 1,
            Quality::Medium => 2,
            Quality::High => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_values_round_trip_and_others_are_refused() {
        for n in 1..=3 {
            assert_eq!(Quality::from_api(n).unwrap().to_api(), n);
        }
        assert_eq!(Quality::from_api(0), None);
        assert_eq!(Quality::from_api(4), None);
        assert_eq!(Quality::default(), Quality::Medium);
    }
}
