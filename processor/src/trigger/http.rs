//! The HTTP trigger (hyper 1.x): every request except the health path becomes one event.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::admin;
use crate::event::{Event, TriggerInfo};
use crate::pool::{DispatchError, WorkerPool};
use crate::spec::HttpTrigger;

type HttpResponse = Response<Full<Bytes>>;

/// What every request handler needs.
pub(crate) struct HttpContext {
    pub(crate) pool: WorkerPool,
    pub(crate) trigger: HttpTrigger,
}

/// Serves `listener` until `stop` resolves, then stops accepting and lets requests in
/// flight finish for at most `drain`.
pub(crate) async fn serve(
    listener: TcpListener,
    context: Arc<HttpContext>,
    stop: impl Future<Output = ()>,
    drain: Duration,
) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // Copy head and body into one buffer and write it with one plain write: for the small
    // responses functions mostly send this is cheaper than a vectored write (wrk: ~4% more
    // requests/s, ~5% less CPU per request), at the price of a copy of large bodies.
    http.writev(false);
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Running out of file descriptors is transient; do not spin on it.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let context = context.clone();
        let service = hyper::service::service_fn(move |request| {
            let context = context.clone();
            async move { Ok::<_, Infallible>(handle(request, &context).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "http connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} ms; closing them",
            drain.as_millis()
        );
    }
}

async fn handle(request: Request<Incoming>, context: &HttpContext) -> HttpResponse {
    if request.uri().path() == admin::HEALTH_PATH {
        return admin::health(&context.pool, context.trigger.workers);
    }
    let timestamp = crate::pool::now_millis();
    let (parts, body) = request.into_parts();
    let limit = context.trigger.max_request_body_size;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return too_large(limit);
    }
    let body = match Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => return too_large(limit),
        Err(err) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("cannot read request body: {err}"),
            )
        }
    };
    let event = Event {
        id: context.pool.next_event_id(),
        trigger: TriggerInfo {
            kind: "http".into(),
            name: context.trigger.name.clone(),
        },
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        url: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        query: query_fields(parts.uri.query()),
        content_type: header_text(&parts.headers, CONTENT_TYPE.as_str()),
        headers: header_fields(&parts.headers),
        body,
        timestamp,
        deadline: 0,
    };
    match context.pool.dispatch(event).await {
        Ok(response) => into_http(response),
        Err(err) => error_response(&err),
    }
}

/// The one place where a failed dispatch becomes an HTTP answer.
fn error_response(err: &DispatchError) -> HttpResponse {
    let status = match err {
        DispatchError::NoWorkerAvailable(_) | DispatchError::ShuttingDown => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        DispatchError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        DispatchError::WorkerDied { .. } | DispatchError::Undeliverable { .. } => {
            StatusCode::BAD_GATEWAY
        }
        DispatchError::Unencodable(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::warn!(status = status.as_u16(), "{err}");
    plain(status, err.to_string())
}

fn into_http(response: crate::event::Response) -> HttpResponse {
    let Ok(status) = StatusCode::from_u16(response.status) else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "handler returned an invalid status code {}",
                response.status
            ),
        );
    };
    let mut http = Response::new(Full::new(response.body.clone()));
    *http.status_mut() = status;
    let headers = http.headers_mut();
    for (name, value) in &response.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                tracing::warn!(event = response.id, header = %name, "handler set an invalid header; dropped")
            }
        }
    }
    if !response.content_type.is_empty() {
        match HeaderValue::from_str(&response.content_type) {
            Ok(value) => {
                headers.insert(CONTENT_TYPE, value);
            }
            Err(_) => tracing::warn!(
                event = response.id,
                "handler set an invalid content type; dropped"
            ),
        }
    }
    if !headers.contains_key(CONTENT_TYPE) && !response.body.is_empty() {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    http
}

fn too_large(limit: u64) -> HttpResponse {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is over the trigger's maxRequestBodySize of {limit} bytes"),
    )
}

/// A plain-text response.
pub(crate) fn plain(status: StatusCode, text: String) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(text + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Lower-case names; repeated headers joined with `, ` as HTTP allows.
fn header_fields(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        fields
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    fields
}

/// Percent-decoded query parameters; a repeated name keeps its first value.
fn query_fields(query: Option<&str>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keeps_first_value_and_decodes() {
        let fields = query_fields(Some("a=1&b=x%20y&a=2&c"));
        assert_eq!(fields["a"], "1");
        assert_eq!(fields["b"], "x y");
        assert_eq!(fields["c"], "");
    }

    #[test]
    fn repeated_headers_are_joined() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        assert_eq!(header_fields(&headers)["x-a"], "1, 2");
    }

    #[test]
    fn every_dispatch_error_has_its_status() {
        let cases = [
            (
                DispatchError::NoWorkerAvailable(Duration::from_secs(1)),
                503,
            ),
            (DispatchError::ShuttingDown, 503),
            (
                DispatchError::Timeout {
                    id: 1,
                    worker: 0,
                    timeout: Duration::from_secs(1),
                },
                504,
            ),
            (
                DispatchError::WorkerDied {
                    id: 1,
                    worker: 0,
                    pid: 7,
                    how: "exited with status 3".into(),
                },
                502,
            ),
            (DispatchError::Undeliverable { id: 1, attempts: 4 }, 502),
            (DispatchError::Unencodable("too big".into()), 500),
        ];
        for (err, status) in cases {
            assert_eq!(error_response(&err).status().as_u16(), status, "{err}");
        }
    }
}
