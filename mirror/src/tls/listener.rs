//! The HTTPS side of the accept loop (`server::listener`): rustls in front of the same router
//! plain HTTP serves. The loop bounds the handshake by the header timeout.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The TLS stream of `tcp`, or `None` when the handshake fails.
pub(crate) async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    match acceptor.accept(tcp).await {
        Ok(stream) => Some(stream),
        Err(e) => {
            tracing::debug!(%peer, error = %e, "tls handshake failed");
            None
        }
    }
}
