//! PROVISIONAL family-level priors, replaced by the fitted table.
use super::any_text::{SlotPrior, SLOTS};

pub(crate) const PRIORS: [SlotPrior; SLOTS] = {
    let mut p = [SlotPrior {
        within: 0.1,
        session: 0.01,
        between: 0.02,
    }; SLOTS];
    let mut i = 0;
    while i < 4 {
        p[i] = SlotPrior {
            within: 0.2,
            session: 0.01,
            between: 0.05,
        };
        i += 1;
    }
    p
};
