//! Retrying a compare-and-swap that another request won. Within one server a user's lock
//! orders most requests, so a swap is lost mostly to other server instances sharing the
//! database; each loss means one of them made progress. With a few servers racing for one
//! record, three immediate attempts were seen to run out, so there are more, each after a short
//! random pause.

use std::time::Duration;

use rand::Rng;

/// Attempts at a compare-and-swap before the request gives up.
pub(crate) const SWAP_ATTEMPTS: usize = 8;

/// Before attempt `attempt` (counted from 0): nothing for the first, then a random pause of up
/// to 2^attempt ms (at most 128 ms), so that the servers racing for a record do not collide
/// again in step.
pub(crate) async fn before_attempt(attempt: usize) {
    if attempt == 0 {
        return;
    }
    let most = 1u64 << attempt.min(7);
    let pause = rand::thread_rng().gen_range(1..=most);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}
