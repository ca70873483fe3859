//! A bounded pool for Argon2 work. Each hash or verification takes tens of milliseconds of CPU
//! and 19 MiB of memory; without a bound, a burst of sign-ins piles up blocking threads (tokio
//! allows 512) and starves every other request. At most one job per CPU runs at a time, a
//! bounded number wait for a slot, and a caller that cannot get one in time is told to retry.

use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Callers waiting for a slot, per CPU, before further ones are refused at once.
const WAITING_PER_CPU: usize = 32;
/// How long a caller waits for a slot before it is refused.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// The `retryAfter` of a refusal, in seconds.
const RETRY_AFTER_SECS: u64 = 2;

/// Runs Argon2 jobs on blocking threads, a bounded number at a time.
#[derive(Debug)]
pub struct HashPool {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

/// The process-wide pool: the CPUs are shared by every server and command in the process.
pub fn pool() -> &'static HashPool {
    static POOL: LazyLock<HashPool> = LazyLock::new(|| {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        HashPool::new(cpus, cpus * WAITING_PER_CPU, MAX_WAIT)
    });
    &POOL
}

/// Takes a waiting place and gives it back however the wait ends (also when cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    pub fn new(slots: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    /// Runs `job` on a blocking thread once a slot is free. RATE_LIMITED when too many callers
    /// already wait or no slot frees up in time.
    pub async fn run<T, F>(&self, job: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(busy("the wait queue is full"));
                }
                let _waiting = Waiting(&self.waiting);
                match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await
                {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(closed)) => return Err(AppError::internal(closed)),
                    Err(_) => return Err(busy("no slot freed up in time")),
                }
            }
        };
        // The permit moves into the job: a caller that gives up does not free the slot of a
        // hash that is still running.
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(permit);
            result
        })
        .await
        .map_err(AppError::internal)
    }
}

fn busy(reason: &str) -> AppError {
    tracing::warn!(reason, "password hashing is saturated");
    AppError::RateLimited {
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn code<T>(result: &AppResult<T>) -> &'static str {
        match result {
            Ok(_) => "OK",
            Err(e) => e.code(),
        }
    }

    #[tokio::test]
    async fn at_most_the_slots_run_and_the_queue_is_bounded() {
        let pool = Arc::new(HashPool::new(1, 1, Duration::from_millis(300)));
        // The first job holds the only slot until told to finish.
        let (release, hold) = mpsc::channel::<()>();
        let first = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    let _ = hold.recv();
                    1
                })
                .await
            }
        });
        while pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The second waits for the slot; the third finds the queue full.
        let second = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 2).await }
        });
        while pool.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let third = pool.run(|| 3).await;
        assert_eq!(code(&third), "RATE_LIMITED");
        // The second gives up after its wait, and leaves the queue.
        let second = second.await.unwrap();
        assert_eq!(code(&second), "RATE_LIMITED");
        assert_eq!(pool.waiting.load(Ordering::Acquire), 0);
        // A waiter that gets the slot in time runs.
        let fourth = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 4).await }
        });
        while pool.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(fourth.await.unwrap().unwrap(), 4);
        assert_eq!(pool.slots.available_permits(), 1);
        assert_eq!(pool.run(|| 5).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_cancelled_caller_keeps_the_slot_until_its_job_ends() {
        let pool = Arc::new(HashPool::new(1, 4, Duration::from_secs(5)));
        let (release, hold) = mpsc::channel::<()>();
        let caller = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || hold.recv().is_ok()).await }
        });
        while pool.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        caller.abort();
        let _ = caller.await;
        assert_eq!(pool.slots.available_permits(), 0, "the job still runs");
        release.send(()).unwrap();
        assert!(pool.run(|| true).await.unwrap());
    }

    #[test]
    fn the_process_pool_queues_32_callers_per_cpu() {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(pool().max_waiting, cpus * WAITING_PER_CPU);
        assert_eq!(pool().max_wait, Duration::from_secs(5));
    }
}
