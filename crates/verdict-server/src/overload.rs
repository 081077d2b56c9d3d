//! How late the async runtime runs its tasks: the queueing delay every
//! request waiting for a worker thread sees too.
//!
//! Counting decisions in flight cannot see requests that have arrived but not
//! yet been polled: under a flood they wait in the runtime's queues, and by the
//! time a handler runs its caller may have given up. A task that asks to be
//! woken every [`PERIOD`] and measures how late it wakes reads that wait
//! directly; admission sheds while it is above `max_queue_delay`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

/// How often the delay is sampled.
const PERIOD: Duration = Duration::from_millis(10);

/// The runtime's scheduling delay, as last measured. A spike decays over a
/// few samples rather than vanishing at the next one, so requests queued
/// behind it are still shed.
#[derive(Debug, Default)]
pub struct QueueDelay {
    micros: AtomicU64,
}

impl QueueDelay {
    /// Starts measuring on the current runtime; the task ends when the
    /// returned value is dropped.
    pub fn start() -> Arc<Self> {
        let delay = Arc::new(Self::default());
        tokio::spawn(measure(Arc::downgrade(&delay)));
        delay
    }

    pub fn current(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::Relaxed))
    }

    /// Takes a new sample: the larger of it and three quarters of the last.
    fn record(&self, late: Duration) {
        let sample = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
        let previous = self.micros.load(Ordering::Relaxed);
        self.micros
            .store(sample.max(previous / 4 * 3), Ordering::Relaxed);
    }
}

async fn measure(delay: Weak<QueueDelay>) {
    loop {
        let due = Instant::now() + PERIOD;
        tokio::time::sleep_until(due).await;
        let Some(delay) = delay.upgrade() else {
            return;
        };
        delay.record(Instant::now().saturating_duration_since(due));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_decays_over_a_few_samples() {
        let delay = QueueDelay::default();
        delay.record(Duration::from_millis(400));
        assert_eq!(delay.current(), Duration::from_millis(400));
        delay.record(Duration::from_millis(1));
        assert_eq!(delay.current(), Duration::from_millis(300));
        for _ in 0..20 {
            delay.record(Duration::ZERO);
        }
        assert!(delay.current() < Duration::from_millis(2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_is_measured_as_late() {
        let delay = QueueDelay::start();
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Hold the only worker thread: the sampling task cannot run.
        std::thread::sleep(Duration::from_millis(200));
        tokio::time::sleep(Duration::from_millis(15)).await;
        assert!(
            delay.current() >= Duration::from_millis(120),
            "{:?}",
            delay.current()
        );
    }
}
