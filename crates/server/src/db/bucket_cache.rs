//! Parsed enrolled patterns, kept per bucket between verifications so that a verification
//! reads only the row ids of the bucket, not its patterns, and parses nothing.
//!
//! Pattern rows are never updated: a row id always stands for the same pattern text. A cached
//! bucket is used only when the ids just read from the database are exactly the ids it was
//! built from, so saves, deletions, rotations and renames by this or any other server process
//! are seen on the next read without any invalidation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keycadence_core::pattern::Pattern;

use super::enrolments::Bucket;

/// Total pattern text the cache may hold. Parsed patterns take about four times their text
/// (a 211-byte type-1 pattern: 800 bytes), so this is about 16 MiB of memory, some 2,000
/// buckets of ten 200-byte patterns.
const TEXT_BUDGET_BYTES: usize = 4 << 20;

/// What an entry costs besides its pattern text (key, ids, bookkeeping), charged against the
/// budget so that entries of short patterns cannot pile up uncounted.
const ENTRY_OVERHEAD_BYTES: usize = 96;

struct Entry {
    ids: Box<[i64]>,
    patterns: Arc<[Pattern]>,
    text_bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct Buckets {
    entries: HashMap<(i64, Bucket), Entry>,
    text_bytes: usize,
    clock: u64,
}

/// Least recently used buckets are dropped when the text budget is exceeded.
pub struct BucketCache {
    buckets: Mutex<Buckets>,
    budget: usize,
}

impl Default for BucketCache {
    fn default() -> Self {
        BucketCache::with_budget(TEXT_BUDGET_BYTES)
    }
}

impl BucketCache {
    fn with_budget(budget: usize) -> Self {
        BucketCache {
            buckets: Mutex::default(),
            budget,
        }
    }

    /// The patterns of the user's bucket if they were built from exactly these row ids.
    pub fn get(&self, user_id: i64, bucket: Bucket, ids: &[i64]) -> Option<Arc<[Pattern]>> {
        let mut buckets = self.buckets.lock().expect("bucket cache lock");
        buckets.clock += 1;
        let now = buckets.clock;
        let entry = buckets.entries.get_mut(&(user_id, bucket))?;
        if *entry.ids != *ids {
            return None;
        }
        entry.last_used = now;
        Some(entry.patterns.clone())
    }

    /// Remembers the patterns parsed from the rows `ids` whose texts total `text_bytes`. An
    /// empty bucket is not remembered (and a remembered one is dropped): reading it costs one
    /// query that finds nothing, while remembering it would let requests for any number of
    /// made-up buckets fill memory outside the budget.
    pub fn put(
        &self,
        user_id: i64,
        bucket: Bucket,
        ids: Box<[i64]>,
        patterns: Arc<[Pattern]>,
        text_bytes: usize,
    ) {
        let mut buckets = self.buckets.lock().expect("bucket cache lock");
        if ids.is_empty() {
            if let Some(old) = buckets.entries.remove(&(user_id, bucket)) {
                buckets.text_bytes -= old.text_bytes;
            }
            return;
        }
        let text_bytes = text_bytes + ENTRY_OVERHEAD_BYTES + ids.len() * size_of::<i64>();
        if text_bytes > self.budget {
            return;
        }
        buckets.clock += 1;
        let entry = Entry {
            ids,
            patterns,
            text_bytes,
            last_used: buckets.clock,
        };
        if let Some(old) = buckets.entries.insert((user_id, bucket), entry) {
            buckets.text_bytes -= old.text_bytes;
        }
        buckets.text_bytes += text_bytes;
        if buckets.text_bytes > self.budget {
            buckets.evict_down_to(self.budget - self.budget / 4);
        }
    }
}

impl BucketCache {
    /// Drops the user's buckets: after an erasure their patterns leave memory too, not only
    /// the database.
    pub fn forget_user(&self, user_id: i64) {
        let mut buckets = self.buckets.lock().expect("bucket cache lock");
        let mut freed = 0;
        buckets.entries.retain(|(user, _), entry| {
            let keep = *user != user_id;
            if !keep {
                freed += entry.text_bytes;
            }
            keep
        });
        buckets.text_bytes -= freed;
    }
}

impl Buckets {
    /// Drops least recently used entries until at most `target` bytes remain. Evicting a
    /// quarter of the budget at once keeps the sort this takes rare.
    fn evict_down_to(&mut self, target: usize) {
        let mut by_age: Vec<(u64, (i64, Bucket))> = self
            .entries
            .iter()
            .map(|(key, entry)| (entry.last_used, *key))
            .collect();
        by_age.sort_unstable_by_key(|(last_used, _)| *last_used);
        for (_, key) in by_age {
            if self.text_bytes <= target {
                break;
            }
            if let Some(old) = self.entries.remove(&key) {
                self.text_bytes -= old.text_bytes;
            }
        }
    }
}

#[cfg(test)]
impl BucketCache {
    fn len(&self) -> usize {
        self.buckets
            .lock()
            .expect("bucket cache lock")
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: Bucket = Bucket {
        is_mobile: false,
        kind: 1,
        text_id: 7,
        position: 0,
    };

    /// The cache never looks inside the patterns: an empty list stands for a bucket.
    fn parsed() -> Arc<[Pattern]> {
        Arc::from(Vec::new())
    }

    #[test]
    fn a_bucket_is_served_only_for_the_ids_it_was_built_from() {
        let cache = BucketCache::default();
        let stored = parsed();
        cache.put(1, BUCKET, vec![3, 4].into(), stored.clone(), 100);
        let hit = cache.get(1, BUCKET, &[3, 4]).expect("same ids");
        assert!(Arc::ptr_eq(&hit, &stored));
        assert!(
            cache.get(1, BUCKET, &[3, 4, 5]).is_none(),
            "a pattern was added"
        );
        assert!(
            cache.get(1, BUCKET, &[4]).is_none(),
            "a pattern was removed"
        );
        assert!(cache.get(2, BUCKET, &[3, 4]).is_none(), "another user");
        let other = Bucket {
            text_id: 8,
            ..BUCKET
        };
        assert!(cache.get(1, other, &[3, 4]).is_none(), "another text");
    }

    #[test]
    fn empty_buckets_are_not_kept() {
        let cache = BucketCache::default();
        for text_id in 0..100_000 {
            let bucket = Bucket { text_id, ..BUCKET };
            cache.put(1, bucket, Vec::new().into(), parsed(), 0);
        }
        assert_eq!(cache.len(), 0, "made-up buckets cost no memory");
        cache.put(1, BUCKET, vec![3].into(), parsed(), 100);
        assert_eq!(cache.len(), 1);
        // The user's last pattern of the bucket was deleted: the entry goes.
        cache.put(1, BUCKET, Vec::new().into(), parsed(), 0);
        assert_eq!(cache.len(), 0);
        assert!(cache.get(1, BUCKET, &[]).is_none());
    }

    #[test]
    fn entries_of_short_patterns_count_against_the_budget() {
        let cache = BucketCache::with_budget(100_000);
        for text_id in 0..100_000 {
            let bucket = Bucket { text_id, ..BUCKET };
            cache.put(1, bucket, vec![text_id].into(), parsed(), 1);
        }
        assert!(
            cache.len() <= 100_000 / ENTRY_OVERHEAD_BYTES,
            "{}",
            cache.len()
        );
    }

    #[test]
    fn least_recently_used_buckets_go_when_the_budget_is_exceeded() {
        // Each entry below costs its text and 104 bytes: the budget is 1 000 bytes of text for
        // four entries.
        const ENTRY: usize = ENTRY_OVERHEAD_BYTES + 8;
        let cache = BucketCache::with_budget(1000 + 4 * ENTRY);
        for user in 1..=4 {
            cache.put(user, BUCKET, vec![user].into(), parsed(), 300);
        }
        // 1 200 bytes of text > 1 000: evicted down to three quarters, oldest first (users 1
        // and 2).
        assert!(cache.get(1, BUCKET, &[1]).is_none());
        assert!(cache.get(2, BUCKET, &[2]).is_none());
        assert!(cache.get(4, BUCKET, &[4]).is_some());
        assert!(cache.get(3, BUCKET, &[3]).is_some());
        // User 3 was used last, so user 4 goes first: 600 + 300 + 150 = 1 050 of text, over
        // the budget with the entries' overhead.
        cache.put(5, BUCKET, vec![5].into(), parsed(), 300);
        cache.put(6, BUCKET, vec![6].into(), parsed(), 150);
        assert!(cache.get(4, BUCKET, &[4]).is_none());
        for user in [3, 5, 6] {
            assert!(cache.get(user, BUCKET, &[user]).is_some(), "user {user}");
        }
        cache.put(7, BUCKET, vec![7].into(), parsed(), 2000);
        assert!(
            cache.get(7, BUCKET, &[7]).is_none(),
            "larger than the budget"
        );
    }
}
