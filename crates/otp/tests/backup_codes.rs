//! Backup codes: ten, shown once, stored hashed, each good once.

use std::collections::HashSet;

use keycadence_otp::{
    AttemptPolicy, BackupCodeSet, BackupCodes, BackupConfigError, BackupHashCost, BackupOutcome,
    UnixMillis,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);
/// Cheap argon2 settings keep these tests fast in debug builds; the production default is
/// exercised once below and measured in the benchmark.
const TEST_COST: BackupHashCost = BackupHashCost {
    memory_kib: 256,
    passes: 1,
};

fn backup() -> BackupCodes {
    BackupCodes::new(&[0x77; 32], TEST_COST).unwrap()
}

#[test]
fn ten_distinct_codes_each_redeemable_once() {
    let backup = backup();
    let limits = AttemptPolicy::default();
    let new = backup.generate(&mut StdRng::seed_from_u64(1));
    let shown: Vec<String> = new.codes.iter().map(|c| c.display()).collect();
    assert_eq!(shown.len(), 10);
    assert_eq!(shown.iter().collect::<HashSet<_>>().len(), 10);
    for code in &shown {
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
    }
    let stored = serde_json::to_string(&new.set).unwrap();
    for code in &shown {
        assert!(
            !stored.contains(&code.replace('-', "")),
            "codes are stored hashed only"
        );
    }

    let mut set = new.set;
    for (used, code) in shown.iter().enumerate() {
        let r = backup.redeem(&set, code, &limits, NOW);
        assert_eq!(
            r.outcome,
            BackupOutcome::Redeemed {
                remaining: 9 - used
            }
        );
        set = r.next;
        let again = backup.redeem(&set, code, &limits, NOW);
        assert_eq!(again.outcome, BackupOutcome::Wrong);
        set = again.next;
        // Success clears failures, so the reuse above never locks this loop out.
        assert_eq!(set.attempts.failures, 1);
    }
    assert_eq!(set.remaining(), 0);
}

#[test]
fn codes_are_read_as_people_type_them() {
    let backup = backup();
    let limits = AttemptPolicy::default();
    let new = backup.generate(&mut StdRng::seed_from_u64(2));
    let plain = new.codes[0].display().replace('-', "");
    let typed = format!(
        " {} ",
        plain.to_uppercase().replace('0', "O").replace('1', "l")
    );
    assert_eq!(
        backup.redeem(&new.set, &typed, &limits, NOW).outcome,
        BackupOutcome::Redeemed { remaining: 9 }
    );
    for bad in ["", "short", "uuuu-uuuu-uuuu", "0123-4567-89ab-c"] {
        let r = backup.redeem(&new.set, bad, &limits, NOW);
        assert_eq!(r.outcome, BackupOutcome::Malformed, "{bad:?}");
        assert_eq!(r.next, new.set);
    }
}

#[test]
fn wrong_codes_lock_out_and_another_pepper_opens_nothing() {
    let backup = backup();
    let limits = AttemptPolicy::default();
    let new = backup.generate(&mut StdRng::seed_from_u64(3));
    let other = BackupCodes::new(&[0x78; 32], TEST_COST).unwrap();
    assert_eq!(
        other
            .redeem(&new.set, &new.codes[0].display(), &limits, NOW)
            .outcome,
        BackupOutcome::Wrong
    );

    let mut set: BackupCodeSet = new.set.clone();
    for _ in 0..4 {
        let r = backup.redeem(&set, "zzzz-zzzz-zzzz", &limits, NOW);
        assert_eq!(r.outcome, BackupOutcome::Wrong);
        set = r.next;
    }
    let until = NOW.plus(limits.lockout);
    let r = backup.redeem(&set, "zzzz-zzzz-zzzz", &limits, NOW);
    assert_eq!(
        r.outcome,
        BackupOutcome::TooManyFailures {
            limited_until: until
        }
    );
    let r = backup.redeem(&r.next, &new.codes[0].display(), &limits, NOW);
    assert_eq!(
        r.outcome,
        BackupOutcome::LockedOut {
            limited_until: until
        }
    );
    assert_eq!(r.next.remaining(), 10, "a refused attempt uses no code");
}

#[test]
fn default_cost_works_and_bad_settings_are_refused() {
    let backup = BackupCodes::new(&[0x77; 32], BackupHashCost::default()).unwrap();
    let new = backup.generate(&mut StdRng::seed_from_u64(4));
    let set: BackupCodeSet =
        serde_json::from_str(&serde_json::to_string(&new.set).unwrap()).unwrap();
    assert_eq!(
        backup
            .redeem(
                &set,
                &new.codes[9].display(),
                &AttemptPolicy::default(),
                NOW
            )
            .outcome,
        BackupOutcome::Redeemed { remaining: 9 }
    );
    assert!(matches!(
        BackupCodes::new(&[0x77; 8], TEST_COST),
        Err(BackupConfigError::Pepper(_))
    ));
    assert!(matches!(
        BackupCodes::new(
            &[0x77; 32],
            BackupHashCost {
                memory_kib: 1,
                passes: 1
            }
        ),
        Err(BackupConfigError::Cost(_))
    ));
}
