//! The host: the Worker it serves, the isolates running it, and how a
//! request reaches one of them.

use std::sync::Arc;

use hyper::body::Incoming;
use tokio::sync::oneshot;

use crate::config::WorkerConfig;
use crate::exchange::Exchange;
use crate::http::{Failure, ResponseBody, error_response};
use crate::isolate::Isolate;
use crate::worker::{LoadError, WorkerVersion};

/// A Worker and the isolates it runs on.
pub struct Host {
    worker: Arc<WorkerVersion>,
    isolates: Vec<Isolate>,
}

impl Host {
    /// Loads the Worker of `config` into `isolates` isolates (at least one).
    pub async fn start(config: &WorkerConfig, isolates: usize) -> Result<Arc<Self>, LoadError> {
        let worker = WorkerVersion::prepare(config)?;
        let mut started = Vec::with_capacity(isolates.max(1));
        for _ in 0..isolates.max(1) {
            started.push(Isolate::start(worker.clone()).await?);
        }
        Ok(Arc::new(Self {
            worker,
            isolates: started,
        }))
    }

    pub fn worker_name(&self) -> &str {
        &self.worker.name
    }

    /// Answers one HTTP request with the Worker, or with an error page.
    pub async fn handle(&self, request: hyper::Request<Incoming>) -> http::Response<ResponseBody> {
        let (reply, response) = oneshot::channel();
        let exchange = Exchange::from_request(request, reply);
        let Ok(_in_flight) = self.least_busy().dispatch(exchange) else {
            return error_response(Failure::Unavailable);
        };
        response
            .await
            .unwrap_or_else(|_| error_response(Failure::Unavailable))
    }

    /// The isolate with the fewest requests in flight.
    fn least_busy(&self) -> &Isolate {
        self.isolates
            .iter()
            .min_by_key(|isolate| isolate.in_flight())
            .expect("a host has at least one isolate")
    }
}
