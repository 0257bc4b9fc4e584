//! Passing a request through to the origin behind a Worker, untouched, when
//! the Worker fails on a fail-open route or asked for it with
//! `ctx.passThroughOnException()`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use isola_apis::body::ResponseBody;

/// A request kept whole so it can be sent again.
pub struct Replayable {
    pub head: http::request::Parts,
    pub body: Bytes,
}

/// An HTTP client for origins.
#[derive(Clone)]
pub struct OriginClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for OriginClient {
    fn default() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl OriginClient {
    /// Sends `request` to `origin` with its method, path, query, headers
    /// (the original Host included) and body.
    pub async fn forward(
        &self,
        origin: &url::Url,
        request: Replayable,
    ) -> Result<http::Response<ResponseBody>, String> {
        let path = request
            .head
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str());
        let uri: http::Uri = format!(
            "{}://{}{path}",
            origin.scheme(),
            &origin[url::Position::BeforeHost..url::Position::AfterPort]
        )
        .parse()
        .map_err(|e| format!("bad origin URL: {e}"))?;
        let mut builder = http::Request::builder()
            .method(request.head.method)
            .uri(uri);
        for (name, value) in &request.head.headers {
            if !is_hop_by_hop(name) {
                builder = builder.header(name, value);
            }
        }
        let outgoing = builder
            .body(Full::new(request.body))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(outgoing)
            .await
            .map_err(|e| format!("{origin} did not answer: {e}"))?;
        let (parts, body) = response.into_parts();
        let (sender, streamed) = ResponseBody::channel();
        tokio::spawn(async move {
            let mut body = body;
            while let Some(frame) = body.frame().await {
                let chunk = match frame {
                    Ok(frame) => match frame.into_data() {
                        Ok(data) => Ok(data),
                        Err(_) => continue,
                    },
                    Err(e) => Err(e.into()),
                };
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
        });
        Ok(http::Response::from_parts(parts, streamed))
    }
}

fn is_hop_by_hop(name: &http::HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}
