//! `ferrite-baseline`: a bare hyper server, the ceiling of this machine.
//!
//! The benchmark (`bench/run`) drives this and `ferrite` with the same wrk settings in the
//! same run and reports ferrite as a ratio to it, so a noisy shared machine moves both
//! numbers together. It does as little as an HTTP/1.1 server can: keep-alive, read the
//! request body, answer `200` with that body (empty for a GET), as ferrite's empty and
//! echo benchmark handlers do.
//!
//! Usage: `ferrite-baseline [--port N] [--threads N]` (default port 0 = any free port,
//! default threads: tokio's, one per core). The benchmark gives it the same thread count
//! as the ferrite it compares with. Once bound it prints exactly one line,
//! `listening on http://127.0.0.1:PORT`, and it exits on SIGINT/SIGTERM.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

const USAGE: &str = "usage: ferrite-baseline [--port N] [--threads N]   \
     (port 0..=65535, default 0 = any free port; threads >= 1, default one per core)";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    port: u16,
    threads: Option<usize>,
}

fn main() -> ExitCode {
    if std::env::args()
        .skip(1)
        .any(|arg| arg == "-h" || arg == "--help")
    {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("ferrite-baseline: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads);
    }
    match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(run(args.port)),
        Err(error) => {
            eprintln!("ferrite-baseline: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(port: u16) -> ExitCode {
    let listener = match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("ferrite-baseline: cannot bind 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("ferrite-baseline: cannot read the bound address: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The benchmark script waits for this one line; flush so it is not stuck in a buffer
    // when stdout is a pipe.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on http://{addr}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("ferrite-baseline: cannot write to stdout");
        return ExitCode::FAILURE;
    }
    drop(stdout);

    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(error) => {
            eprintln!("ferrite-baseline: cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    serve(listener, shutdown).await;
    ExitCode::SUCCESS
}

/// Parses `--port N` and `--threads N` (also as `--flag=N`); anything else is an error
/// naming what was wrong.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 0,
        threads: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        if flag != "--port" && flag != "--threads" {
            return Err(format!("unknown argument {flag:?}"));
        }
        let value = match inline {
            Some(value) => value,
            None => args.next().ok_or(format!("{flag} needs a value"))?,
        };
        if flag == "--port" {
            parsed.port = value
                .parse()
                .map_err(|_| format!("--port {value:?} is not a port number"))?;
        } else {
            parsed.threads = Some(
                value
                    .parse()
                    .ok()
                    .filter(|threads| *threads > 0)
                    .ok_or(format!("--threads {value:?} is not a count of 1 or more"))?,
            );
        }
    }
    Ok(parsed)
}

/// Resolves on the first SIGINT or SIGTERM.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Accepts connections until `shutdown` resolves. Connections still open then are
/// dropped with the runtime: a benchmark ceiling needs no graceful drain.
async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: keep serving the open connections.
                Err(error) => {
                    eprintln!("ferrite-baseline: accept failed: {error}");
                    continue;
                }
            },
        };
        // Responses are written whole; do not let Nagle hold the next one back.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            // A client closing mid-request is normal under load; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(echo))
                .await;
        });
    }
}

/// Answers each request with its own body: an empty 200 for a GET, an echo for a POST,
/// as ferrite's empty and echo benchmark handlers do.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{parse_args, Args};

    fn parse(args: &[&str]) -> Result<u16, String> {
        parse_args(args.iter().map(|arg| (*arg).to_owned())).map(|args| args.port)
    }

    #[test]
    fn threads_are_read_and_checked() {
        let parsed = parse_args(["--threads", "1", "--port=9"].map(String::from).into_iter());
        assert_eq!(
            parsed,
            Ok(Args {
                port: 9,
                threads: Some(1)
            })
        );
        let zero = parse_args(["--threads=0"].map(String::from).into_iter());
        assert!(zero.unwrap_err().contains("\"0\""));
    }

    #[test]
    fn port_defaults_to_any_free_port() {
        assert_eq!(parse(&[]), Ok(0));
    }

    #[test]
    fn port_is_read_in_both_spellings() {
        assert_eq!(parse(&["--port", "8080"]), Ok(8080));
        assert_eq!(parse(&["--port=8081"]), Ok(8081));
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--port", "70000"])
            .unwrap_err()
            .contains("\"70000\""));
        assert!(parse(&["--verbose"]).unwrap_err().contains("--verbose"));
    }
}
