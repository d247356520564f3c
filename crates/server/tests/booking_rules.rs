//! The booking rules hold on the database the suite runs on (SQLite here, PostgreSQL when
//! scripts/test.d/server.sh gives one): random sequences of verification bookings get, one by
//! one, the answers of a model of the rules written here independently of the server's: the
//! user deleted (unknown), the daily cap (57), the newest probe sent before or repeated within
//! its own call (5); a refused booking changes nothing.

mod common;

use std::collections::{HashMap, HashSet};

use common::{TestServer, Typist, TEXT};
use keycadence_server::db::enrolments::{Booking, VerifyRefusal};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;

/// The rules as a user of the API reads them in the documentation.
#[derive(Default)]
struct Model {
    seen: HashSet<(i64, String)>,
    verified_today: HashMap<i64, u32>,
}

impl Model {
    fn book(&mut self, booking: &Booking, existing: &[i64]) -> Result<(), VerifyRefusal> {
        if !existing.contains(&booking.user_id) {
            return Err(VerifyRefusal::UnknownUser);
        }
        let count = self.verified_today.entry(booking.user_id).or_default();
        if booking.daily_cap > 0 && *count >= booking.daily_cap {
            return Err(VerifyRefusal::LimitReached);
        }
        if booking.replay_protection {
            let (newest, earlier) = booking.digests.split_last().unwrap();
            let key = (booking.user_id, newest.clone());
            if self.seen.contains(&key) || earlier.contains(newest) {
                return Err(VerifyRefusal::Repeat);
            }
            for digest in &booking.digests {
                self.seen.insert((booking.user_id, digest.clone()));
            }
        }
        if booking.daily_cap > 0 {
            *count += 1;
        }
        Ok(())
    }
}

#[tokio::test]
async fn random_bookings_get_the_answers_of_the_rules() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let mut existing = Vec::new();
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        let user = format!("booking-{name}-{}", c.key);
        let mut typist = Typist::new(70 + i as u64);
        assert_eq!(c.save(&user, &typist.type_text(TEXT, 1)).await.code(), 1);
        let id: i64 = sqlx::query(
            "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id \
             WHERE t.name = $1 AND u.external_id = $2",
        )
        .bind(format!("t-{}", c.key))
        .bind(&user)
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
        existing.push(id);
    }
    // A user id no row has: deleted before the booking.
    let gone = existing.iter().max().unwrap() + 1_000_000;
    let mut model = Model::default();
    let mut rng = StdRng::seed_from_u64(11);
    let mut answers: HashMap<String, usize> = HashMap::new();
    for step in 0..400 {
        let user_id = match rng.gen_range(0..10) {
            0 => gone,
            n => existing[n % 3],
        };
        let digests: Vec<String> = (0..rng.gen_range(1..=3))
            .map(|_| format!("probe-{}", rng.gen_range(0..60)))
            .collect();
        let booking = Booking {
            user_id,
            digests,
            replay_protection: rng.gen_bool(0.8),
            daily_cap: [0, 0, 25, 40][rng.gen_range(0..4)],
            record_use: rng.gen_bool(0.3),
        };
        if booking.daily_cap == 0 && !booking.replay_protection && !booking.record_use {
            continue; // the server books nothing for these
        }
        let expected = model.book(&booking, &existing);
        let answer = server
            .db
            .book_verification(booking.clone(), keycadence_server::clock::now_millis())
            .await
            .unwrap();
        assert_eq!(answer, expected, "step {step}: {booking:?}");
        *answers.entry(format!("{answer:?}")).or_default() += 1;
    }
    // Every rule was exercised.
    for kind in [
        "Ok(())",
        "Err(Repeat)",
        "Err(LimitReached)",
        "Err(UnknownUser)",
    ] {
        assert!(
            answers.get(kind).is_some_and(|&n| n >= 5),
            "{kind}: {answers:?}"
        );
    }
    server.stop().await;
}
