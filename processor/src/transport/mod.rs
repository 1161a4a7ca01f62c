//! Transports: the byte stream between the processor and one worker.
//!
//! The processor binds one endpoint per worker for its whole life and accepts one
//! connection on it per wrapper incarnation. Each transport is one file and one arm of the
//! matches here.

mod shm;
mod tcp;
mod unix;

pub use shm::{ShmSettings, DEFAULT_RING_BYTES, DEFAULT_SPIN_MICROS, MAX_SPIN_MICROS};

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
    /// Two byte rings in shared memory, with a unix socket for the doorbells.
    Shm,
}

impl TransportKind {
    /// Every transport this build supports.
    pub const ALL: [TransportKind; 3] =
        [TransportKind::Unix, TransportKind::Tcp, TransportKind::Shm];

    /// The name used in specs, flags and the `FERRITE_TRANSPORT` variable.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Unix => "unix",
            TransportKind::Tcp => "tcp",
            TransportKind::Shm => "shm",
        }
    }
}

/// Makes the private directory (mode `0700`) a pool of `kind`'s endpoints live in.
pub fn private_dir(kind: TransportKind) -> std::io::Result<tempfile::TempDir> {
    match kind {
        TransportKind::Unix | TransportKind::Tcp => tempfile::Builder::new()
            .prefix("ferrite-")
            .permissions(private_mode())
            .tempdir(),
        TransportKind::Shm => shm::private_dir(),
    }
}

/// The reading half of a connection.
pub type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a connection.
pub type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// A stream's owned halves as the transport-neutral [`ReadHalf`] and [`WriteHalf`].
fn into_halves<R, W>((reader, writer): (R, W)) -> (ReadHalf, WriteHalf)
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    (Box::new(reader), Box::new(writer))
}

/// `0700`: tempfile would leave a directory to the umask (`0755`, commonly).
fn private_mode() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o700)
}

/// A bound, listening endpoint for one worker.
#[derive(Debug)]
pub enum Endpoint {
    /// See [`unix`].
    Unix(unix::UnixEndpoint),
    /// See [`tcp`].
    Tcp(tcp::TcpEndpoint),
    /// See [`shm`].
    Shm(shm::ShmEndpoint),
}

impl Endpoint {
    /// Binds worker `worker`'s endpoint; unix sockets and segments go into `dir`.
    pub async fn bind(
        kind: TransportKind,
        shm: ShmSettings,
        dir: &Path,
        worker: usize,
    ) -> std::io::Result<Self> {
        Ok(match kind {
            TransportKind::Unix => Endpoint::Unix(unix::UnixEndpoint::bind(dir, worker)?),
            TransportKind::Tcp => Endpoint::Tcp(tcp::TcpEndpoint::bind().await?),
            TransportKind::Shm => Endpoint::Shm(shm::ShmEndpoint::bind(dir, worker, shm)?),
        })
    }

    /// Readies the endpoint for a new wrapper incarnation and returns the variables the
    /// wrapper needs beside `FERRITE_ADDRESS` (shm: a new segment's path).
    pub fn prepare(&self) -> std::io::Result<Vec<(String, String)>> {
        match self {
            Endpoint::Unix(_) | Endpoint::Tcp(_) => Ok(Vec::new()),
            Endpoint::Shm(endpoint) => endpoint.prepare(),
        }
    }

    /// What the wrapper is told to connect to (`FERRITE_ADDRESS`).
    pub fn address(&self) -> String {
        match self {
            Endpoint::Unix(endpoint) => endpoint.address(),
            Endpoint::Tcp(endpoint) => endpoint.address(),
            Endpoint::Shm(endpoint) => endpoint.address(),
        }
    }

    /// This endpoint's transport.
    pub fn kind(&self) -> TransportKind {
        match self {
            Endpoint::Unix(_) => TransportKind::Unix,
            Endpoint::Tcp(_) => TransportKind::Tcp,
            Endpoint::Shm(_) => TransportKind::Shm,
        }
    }

    /// Waits for the wrapper to connect.
    pub async fn accept(&self) -> std::io::Result<(ReadHalf, WriteHalf)> {
        match self {
            Endpoint::Unix(endpoint) => endpoint.accept().await,
            Endpoint::Tcp(endpoint) => endpoint.accept().await,
            Endpoint::Shm(endpoint) => endpoint.accept().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A wrapper's side of the connection, from the variables the wrapper is given.
    async fn connect(
        kind: TransportKind,
        address: &str,
        env: &[(String, String)],
    ) -> (ReadHalf, WriteHalf) {
        match kind {
            TransportKind::Unix => into_halves(
                tokio::net::UnixStream::connect(address)
                    .await
                    .unwrap()
                    .into_split(),
            ),
            TransportKind::Tcp => into_halves(
                tokio::net::TcpStream::connect(address)
                    .await
                    .unwrap()
                    .into_split(),
            ),
            TransportKind::Shm => shm::connect_as_wrapper(address, env).await,
        }
    }

    #[tokio::test]
    async fn every_transport_carries_bytes_both_ways_across_reconnects() {
        let dir = tempfile::tempdir().unwrap();
        for (worker, kind) in TransportKind::ALL.into_iter().enumerate() {
            let endpoint = Endpoint::bind(kind, ShmSettings::default(), dir.path(), worker)
                .await
                .unwrap();
            assert_eq!(endpoint.kind(), kind);
            // A restarted wrapper connects to the same endpoint again.
            for round in 0..2u8 {
                let env = endpoint.prepare().unwrap();
                let address = endpoint.address();
                let (accepted, (mut wrapper_in, mut wrapper_out)) =
                    tokio::join!(endpoint.accept(), connect(kind, &address, &env));
                let (mut processor_in, mut processor_out) = accepted.unwrap();
                let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8 ^ round).collect();
                let sent = big.clone();
                let writer = tokio::spawn(async move {
                    processor_out.write_all(&sent).await.unwrap();
                    processor_out
                });
                let mut got = vec![0; big.len()];
                wrapper_in.read_exact(&mut got).await.unwrap();
                assert!(got == big, "{kind:?} round {round}: bytes differ");
                drop(writer.await.unwrap());
                wrapper_out.write_all(b"pong").await.unwrap();
                let mut pong = [0; 4];
                processor_in.read_exact(&mut pong).await.unwrap();
                assert_eq!(&pong, b"pong");
            }
        }
    }

    #[tokio::test]
    async fn unix_sockets_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let endpoint = Endpoint::bind(TransportKind::Unix, ShmSettings::default(), dir.path(), 0)
            .await
            .unwrap();
        let mode = std::fs::metadata(endpoint.address())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
