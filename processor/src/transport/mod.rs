//! Transports: the byte stream between the processor and one worker.
//!
//! The processor binds one endpoint per worker for its whole life and accepts one
//! connection on it per wrapper incarnation. Each transport is one file and one arm of the
//! matches here.

mod tcp;
mod unix;

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};

/// Which transport a function's workers use.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// A unix domain socket in a private directory.
    #[default]
    Unix,
    /// TCP on 127.0.0.1.
    Tcp,
}

impl TransportKind {
    /// Every transport this build supports.
    pub const ALL: [TransportKind; 2] = [TransportKind::Unix, TransportKind::Tcp];

    /// The name used in specs, flags and the `FERRITE_TRANSPORT` variable.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Unix => "unix",
            TransportKind::Tcp => "tcp",
        }
    }
}

/// The reading half of a connection.
pub type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a connection.
pub type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// A bound, listening endpoint for one worker.
#[derive(Debug)]
pub enum Endpoint {
    /// See [`unix`].
    Unix(unix::UnixEndpoint),
    /// See [`tcp`].
    Tcp(tcp::TcpEndpoint),
}

impl Endpoint {
    /// Binds worker `worker`'s endpoint; unix sockets go into `dir`.
    pub async fn bind(kind: TransportKind, dir: &Path, worker: usize) -> std::io::Result<Self> {
        Ok(match kind {
            TransportKind::Unix => Endpoint::Unix(unix::UnixEndpoint::bind(dir, worker)?),
            TransportKind::Tcp => Endpoint::Tcp(tcp::TcpEndpoint::bind().await?),
        })
    }

    /// What the wrapper is told to connect to (`FERRITE_ADDRESS`).
    pub fn address(&self) -> String {
        match self {
            Endpoint::Unix(endpoint) => endpoint.address(),
            Endpoint::Tcp(endpoint) => endpoint.address(),
        }
    }

    /// This endpoint's transport.
    pub fn kind(&self) -> TransportKind {
        match self {
            Endpoint::Unix(_) => TransportKind::Unix,
            Endpoint::Tcp(_) => TransportKind::Tcp,
        }
    }

    /// Waits for the wrapper to connect.
    pub async fn accept(&self) -> std::io::Result<(ReadHalf, WriteHalf)> {
        match self {
            Endpoint::Unix(endpoint) => endpoint.accept().await,
            Endpoint::Tcp(endpoint) => endpoint.accept().await,
        }
    }
}
