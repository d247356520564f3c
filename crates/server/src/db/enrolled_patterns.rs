//! Reads of enrolled patterns: a bucket's newest (through the bucket cache), a user's type-2
//! patterns of any text, and counts.

use std::sync::Arc;

use keycadence_core::pattern::Pattern;
use sqlx::Row;

use super::enrolments::{
    BindBucket, Bucket, Enrolled, PatternCounts, PatternFilter, PatternStore, BUCKET_WHERE,
};
use super::sealed_patterns::{open_row, PatternSealer, SEALED_COLUMNS};
use super::Backend;

impl PatternStore<'_> {
    /// The user and the newest `limit` patterns of their bucket; `None` for an unknown user.
    /// One query reads the user and the bucket's row ids; the patterns come from the bucket
    /// cache when it holds exactly those rows, otherwise they are read, opened and parsed (a
    /// row that does not open is an error; an opened pattern that no longer parses is logged
    /// and left out).
    pub async fn enrolled(
        &self,
        tenant_id: i64,
        external_id: &str,
        bucket: Bucket,
        limit: u32,
    ) -> Result<Option<Enrolled>, sqlx::Error> {
        let sql = match self.db.backend() {
            Backend::Sqlite => USER_AND_BUCKET_IDS_SQLITE,
            Backend::Postgres => USER_AND_BUCKET_IDS_POSTGRES,
        };
        let row = sqlx::query(sql)
            .bind(tenant_id)
            .bind(external_id)
            .bind_bucket(bucket)
            .bind(limit as i64)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user_id: i64 = row.try_get("id")?;
        let ids = parse_id_list(row.try_get::<Option<String>, _>("bucket_ids")?.as_deref())?;
        if let Some(patterns) = self.db.bucket_cache.get(user_id, bucket, &ids) {
            return Ok(Some(Enrolled { user_id, patterns }));
        }
        let patterns = self.read_bucket(tenant_id, user_id, bucket, limit).await?;
        Ok(Some(Enrolled { user_id, patterns }))
    }

    /// Reads, opens and parses a bucket's newest patterns and caches them under the ids read.
    async fn read_bucket(
        &self,
        tenant_id: i64,
        user_id: i64,
        bucket: Bucket,
        limit: u32,
    ) -> Result<Arc<[Pattern]>, sqlx::Error> {
        let sealer = self.db.pattern_sealer()?;
        let sql = format!(
            "SELECT {SEALED_COLUMNS} FROM patterns WHERE {BUCKET_WHERE} ORDER BY id DESC LIMIT $6"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind_bucket(bucket)
            .bind(limit as i64)
            .fetch_all(self.db.pool())
            .await?;
        let Parsed {
            ids,
            patterns,
            text_bytes,
        } = parse_newest_first(sealer, tenant_id, user_id, &rows)?;
        let patterns: Arc<[Pattern]> = patterns.into();
        self.db
            .bucket_cache
            .put(user_id, bucket, ids.into(), patterns.clone(), text_bytes);
        Ok(patterns)
    }

    /// The newest `limit` type-2 patterns of a user in the bucket's device class and typing
    /// position, of any text, oldest first: what a desktop type-2 probe of a text with few
    /// enrolments is compared with in the short any-text mode. A row that does not open is
    /// an error; an opened pattern that no longer parses is logged and left out.
    pub async fn short_text(
        &self,
        tenant_id: i64,
        user_id: i64,
        bucket: Bucket,
        limit: u32,
    ) -> Result<Vec<Pattern>, sqlx::Error> {
        let sealer = self.db.pattern_sealer()?;
        let rows = sqlx::query(&format!(
            "SELECT {SEALED_COLUMNS} FROM patterns WHERE user_id = $1 AND is_mobile = $2 \
             AND kind = 2 AND position = $3 ORDER BY id DESC LIMIT $4"
        ))
        .bind(user_id)
        .bind(bucket.is_mobile as i64)
        .bind(bucket.position)
        .bind(limit as i64)
        .fetch_all(self.db.pool())
        .await?;
        Ok(parse_newest_first(sealer, tenant_id, user_id, &rows)?.patterns)
    }

    /// How many mobile patterns of this type and text the user has in any position.
    pub async fn mobile_any_position(
        &self,
        user_id: i64,
        bucket: Bucket,
    ) -> Result<u64, sqlx::Error> {
        let count: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM patterns WHERE user_id = $1 AND is_mobile = 1 AND kind = $2 AND text_id = $3",
        )
        .bind(user_id)
        .bind(bucket.kind)
        .bind(bucket.text_id)
        .fetch_one(self.db.pool())
        .await?
        .try_get("n")?;
        Ok(count as u64)
    }

    pub async fn count(
        &self,
        user_id: i64,
        filter: &PatternFilter,
    ) -> Result<PatternCounts, sqlx::Error> {
        let sql = format!(
            "SELECT is_mobile, COUNT(*) AS n FROM patterns WHERE user_id = $1{} GROUP BY is_mobile",
            filter.conditions()
        );
        let mut query = sqlx::query(&sql).bind(user_id);
        if let Some(text_id) = filter.text_id {
            query = query.bind(text_id);
        }
        let mut counts = PatternCounts::default();
        for row in query.fetch_all(self.db.pool()).await? {
            let mobile: i64 = row.try_get("is_mobile")?;
            let n: i64 = row.try_get("n")?;
            if mobile != 0 {
                counts.mobile = n as u64;
            } else {
                counts.desktop = n as u64;
            }
        }
        Ok(counts)
    }
}

/// The user's id and the row ids of a bucket's newest patterns as one comma-separated text
/// (NULL when the bucket is empty): one row, one round trip.
const USER_AND_BUCKET_IDS_SQLITE: &str = "SELECT u.id, (SELECT group_concat(b.id) FROM \
     (SELECT id FROM patterns WHERE user_id = u.id AND is_mobile = $3 AND kind = $4 \
     AND text_id = $5 AND position = $6 ORDER BY id DESC LIMIT $7) b) AS bucket_ids \
     FROM users u WHERE u.tenant_id = $1 AND u.external_id = $2";
const USER_AND_BUCKET_IDS_POSTGRES: &str = "SELECT u.id, (SELECT string_agg(b.id::text, ',') FROM \
     (SELECT id FROM patterns WHERE user_id = u.id AND is_mobile = $3 AND kind = $4 \
     AND text_id = $5 AND position = $6 ORDER BY id DESC LIMIT $7) b) AS bucket_ids \
     FROM users u WHERE u.tenant_id = $1 AND u.external_id = $2";

/// Stored patterns read newest first, opened, parsed and put oldest first.
struct Parsed {
    ids: Vec<i64>,
    patterns: Vec<Pattern>,
    /// Length of the opened texts, for the bucket cache's budget.
    text_bytes: usize,
}

/// Opens and parses rows of [`SEALED_COLUMNS`] read newest first. A row that does not open
/// fails the whole read; an opened pattern that no longer parses is logged and left out (its
/// id is kept: it is still in the bucket).
fn parse_newest_first(
    sealer: &PatternSealer,
    tenant_id: i64,
    user_id: i64,
    rows: &[sqlx::any::AnyRow],
) -> Result<Parsed, sqlx::Error> {
    let mut parsed = Parsed {
        ids: Vec::with_capacity(rows.len()),
        patterns: Vec::with_capacity(rows.len()),
        text_bytes: 0,
    };
    for row in rows.iter().rev() {
        let (id, text) = open_row(sealer, tenant_id, row)?;
        parsed.ids.push(id);
        parsed.text_bytes += text.len();
        match Pattern::parse(&text) {
            Ok(pattern) => parsed.patterns.push(pattern),
            Err(err) => tracing::error!(
                user_id,
                pattern_id = id,
                error = %err,
                "a stored pattern no longer parses; skipped"
            ),
        }
    }
    Ok(parsed)
}

/// Row ids from a comma-separated list, ascending (oldest first, whatever order the
/// aggregate produced).
fn parse_id_list(list: Option<&str>) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = list
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|e| sqlx::Error::Decode(format!("pattern id list `{s}`: {e}").into()))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}
