//! A plain HTTP/1.1 client over a fresh TCP connection per request: enough for the suite,
//! and it exercises the trigger exactly as any outside client would.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::cases::{Reply, RequestSpec};

/// Longest a single request may take before the runner gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends `spec` with `body` to the processor at `address`.
pub(crate) async fn send(
    address: SocketAddr,
    spec: &RequestSpec,
    body: Bytes,
) -> Result<Reply, String> {
    tokio::time::timeout(REQUEST_TIMEOUT, exchange(address, spec, body))
        .await
        .map_err(|_| format!("no response within {} s", REQUEST_TIMEOUT.as_secs()))?
}

async fn exchange(address: SocketAddr, spec: &RequestSpec, body: Bytes) -> Result<Reply, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|err| format!("cannot connect to {address}: {err}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| format!("HTTP handshake failed: {err}"))?;
    tokio::spawn(connection);
    let mut uri = spec.path.clone();
    if !spec.query.is_empty() {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&spec.query)
            .finish();
        uri = format!("{uri}?{query}");
    }
    let mut request = Request::builder()
        .method(spec.method.as_str())
        .uri(uri)
        .header("host", address.to_string());
    for (name, value) in &spec.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|err| format!("cannot build the request: {err}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| format!("request failed: {err}"))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|err| format!("reading the response body failed: {err}"))?
        .to_bytes();
    Ok(Reply {
        status,
        headers,
        body,
    })
}
