//! Endpoints the processor answers itself, without a worker.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::pool::WorkerPool;

/// nuclio's health path, answered on the HTTP trigger's port.
pub const HEALTH_PATH: &str = "/__internal/health";

/// `200` with how many workers are live; the processor itself is up if it answers.
pub(crate) fn health(pool: &WorkerPool, total: u32) -> Response<Full<Bytes>> {
    let live = pool.live_workers();
    let status = if live == total as usize {
        "ok"
    } else {
        "degraded"
    };
    let body = serde_json::json!({
        "status": status,
        "workers": { "live": live, "total": total },
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
