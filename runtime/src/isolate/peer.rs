//! An isolate as other isolates' RPC stubs reach it: calls on the objects
//! it exported go straight into its own queue, beside the requests the
//! host sends it, and are answered as RPC calls on its entrypoints are.
//!
//! The peer holds the queue weakly, so stubs never keep a retired isolate
//! alive: once it has gone, calls on them fail and saying that an object
//! is released is a no-op.

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use isola_apis::body::ResponseBody;
use isola_apis::services::Call;
use isola_apis::services::rpc::Peer;

use crate::exchange::{Event, Exchange, Outcome};

const GONE: &str = "the Worker that made this RPC stub is no longer running";

pub struct IsolatePeer {
    pub queue: mpsc::WeakUnboundedSender<Event>,
}

impl Peer for IsolatePeer {
    fn call(
        &self,
        export: u32,
        mut call: Call,
        headers: http::HeaderMap,
    ) -> BoxFuture<'static, Result<http::Response<ResponseBody>, String>> {
        if let Some(rpc) = &mut call.rpc {
            rpc.export = Some(export);
        }
        let queue = self.queue.upgrade();
        Box::pin(async move {
            let (reply, outcome) = oneshot::channel();
            let exchange = Exchange {
                method: http::Method::POST,
                url: "https://rpc.invalid/".into(),
                headers,
                body: None,
                call: Some(Box::new(call)),
                reply,
            };
            queue
                .ok_or(GONE)?
                .send(Event::Fetch(exchange))
                .map_err(|_| GONE)?;
            match outcome.await {
                Ok(Outcome::Response(response)) => Ok(response),
                Ok(Outcome::Failed { failure, .. }) => {
                    Err(format!("the call failed ({})", failure.name()))
                }
                Err(_) => Err(GONE.to_string()),
            }
        })
    }

    fn release(&self, export: u32) {
        if let Some(queue) = self.queue.upgrade() {
            let _ = queue.send(Event::Release(export));
        }
    }
}
