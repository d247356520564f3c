//! Sign-in records at rest. A pending sign-in keeps the typing samples of an enrolment in
//! progress (patterns, until its code is proven) and the contact details the code went to, so
//! its record is sealed with the at-rest key like an enrolled pattern, bound to the sign-in's
//! id: a record copied to another sign-in's row does not open. The `record` column keeps its
//! text type; a sealed record is written there as `sealed:` and the sealed bytes in base64.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use keycadence_otp::at_rest::SealedSecret;
use rand::rngs::OsRng;
use sqlx::Row;

use super::sealed_patterns::PatternSealer;
use super::Db;

const SEALED_PREFIX: &str = "sealed:";

fn context(sign_in_id: &str) -> Vec<u8> {
    format!("keycadence-server/sign-in/v1\0{sign_in_id}").into_bytes()
}

impl PatternSealer {
    /// The stored form of the record of sign-in `id`.
    pub(crate) fn seal_sign_in(&self, id: &str, record: &str) -> String {
        let sealed = self
            .sealer()
            .seal(record.as_bytes(), &context(id), &mut OsRng);
        format!(
            "{SEALED_PREFIX}{}",
            STANDARD_NO_PAD.encode(sealed.as_bytes())
        )
    }

    /// The record of sign-in `id` from its stored form. A record that starts with `{` was
    /// written before records were sealed (a sign-in row lives a day after it ends) and is
    /// plain JSON; anything else that does not open is an error, never a record.
    pub(crate) fn open_sign_in(&self, id: &str, stored: &str) -> Result<String, sqlx::Error> {
        let undecodable =
            |why: String| sqlx::Error::Decode(format!("stored sign-in {id}: {why}").into());
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return match stored.starts_with('{') {
                true => Ok(stored.to_string()),
                false => Err(undecodable("neither sealed nor a record".into())),
            };
        };
        let bytes = STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|err| undecodable(err.to_string()))?;
        let plain = self
            .sealer()
            .open(&SealedSecret::from_bytes(bytes), &context(id))
            .map_err(|err| undecodable(err.to_string()))?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| undecodable("the opened record is not UTF-8".into()))
    }
}

impl Db {
    /// Re-seals every sign-in record under the current at-rest key (key rotation), each by
    /// compare-and-swap on its version so that a sign-in going on meanwhile loses nothing.
    /// Returns how many records it re-sealed.
    pub async fn reseal_sign_ins(&self) -> Result<u64, sqlx::Error> {
        let sealer = self.pattern_sealer()?;
        let rows = sqlx::query("SELECT id, record, version FROM sign_ins ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let mut resealed = 0;
        for row in rows {
            let id: String = row.try_get("id")?;
            let version: i64 = row.try_get("version")?;
            let record = sealer.open_sign_in(&id, &row.try_get::<String, _>("record")?)?;
            if self.sign_ins().swap(&id, version, &record).await? {
                resealed += 1;
            }
        }
        Ok(resealed)
    }
}
