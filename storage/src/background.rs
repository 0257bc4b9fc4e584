//! A tokio runtime of a store's own, for the networked backends (the
//! PostgreSQL pool, object storage for replicas), so that their calls work
//! from any thread: inside another runtime (an isolate's thread), on the
//! blocking pool, or in the `isola` command.

use std::future::Future;
use std::time::Duration;

/// A runtime that is shut down without waiting when dropped, which also
/// works where blocking is not allowed (inside another runtime).
pub struct Background(Option<tokio::runtime::Runtime>);

impl Background {
    /// A runtime of `threads` workers, its threads named `name`.
    pub fn start(name: &str, threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(Self(Some(runtime)))
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("the runtime lives until drop")
            .handle()
    }

    /// Runs `work` on this runtime and waits for it, blocking the thread.
    pub fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        futures::executor::block_on(self.handle().spawn(work))
    }

    /// [`wait`](Self::wait) for at most `limit`; the error names `service`
    /// (`etcd`, a database, a bucket), which did not answer in time.
    pub fn wait_for<T: Send + 'static>(
        &self,
        service: &str,
        limit: Duration,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, String> {
        match self.wait(async move { tokio::time::timeout(limit, work).await }) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(format!(
                "{service} did not answer within {} s",
                limit.as_secs()
            )),
            Err(e) => Err(format!("{service}: {e}")),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
