//! TCP on loopback, on a port the kernel picks. Any local process can reach it, so the
//! worker proves itself with the token in its `hello`.

use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

use super::{into_halves, ReadHalf, WriteHalf};

/// A listening loopback TCP socket.
#[derive(Debug)]
pub struct TcpEndpoint {
    listener: TcpListener,
    local: SocketAddr,
}

impl TcpEndpoint {
    pub(super) async fn bind() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let local = listener.local_addr()?;
        Ok(TcpEndpoint { listener, local })
    }

    pub(super) fn address(&self) -> String {
        self.local.to_string()
    }

    pub(super) async fn accept(&self) -> std::io::Result<(ReadHalf, WriteHalf)> {
        let (stream, _) = self.listener.accept().await?;
        // Frames are written whole and batched already; Nagle would only add delay.
        stream.set_nodelay(true)?;
        Ok(into_halves(stream.into_split()))
    }
}
