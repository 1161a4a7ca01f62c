//! Unix domain sockets: `worker-N.sock` in the processor's private directory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

use super::{into_halves, ReadHalf, WriteHalf};

/// A listening unix socket.
#[derive(Debug)]
pub struct UnixEndpoint {
    listener: UnixListener,
    path: PathBuf,
}

impl UnixEndpoint {
    pub(super) fn bind(dir: &Path, worker: usize) -> std::io::Result<Self> {
        let path = dir.join(format!("worker-{worker}.sock"));
        let listener = UnixListener::bind(&path)?;
        // The directory is already 0700; the socket is narrowed too in case it is moved.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(UnixEndpoint { listener, path })
    }

    /// The listener and its path, for a transport that uses a unix socket beside its own
    /// channel (shm's doorbell).
    pub(super) fn into_parts(self) -> (UnixListener, PathBuf) {
        (self.listener, self.path)
    }

    pub(super) fn address(&self) -> String {
        self.path.display().to_string()
    }

    pub(super) async fn accept(&self) -> std::io::Result<(ReadHalf, WriteHalf)> {
        let (stream, _) = self.listener.accept().await?;
        Ok(into_halves(stream.into_split()))
    }
}
