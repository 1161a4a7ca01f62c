//! Running one function: start the workers, then serve its trigger until told to stop.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::pool::{PoolConfig, PoolError, WorkerPool};
use crate::runtime::{self, LaunchError, PrepareError};
use crate::spec::Function;
use crate::trigger::http::{self, HttpContext};

/// How the processor itself runs, beyond the spec.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address the HTTP trigger binds.
    pub host: IpAddr,
    /// Lowest level wrappers send logs at.
    pub log_level: String,
}

/// Why a function could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The runtime cannot be launched here (missing interpreter or files).
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The function's code does not build (a Java compile error).
    #[error("{0}")]
    Build(String),
    /// The workers did not start, or a wrapper cannot load the handler.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The trigger's port could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// What was bound.
        address: SocketAddr,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// Serves `function` until `shutdown` resolves. `on_ready` is called with the HTTP address
/// once every worker is ready and the trigger is listening. Stopping drains requests in
/// flight, stops the wrappers and removes their sockets.
pub async fn serve(
    function: Function,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let home = runtime::locate_home()?;
    let launch = function.runtime.launch(&home)?;
    // Once for all workers, and off the async threads: it may run a compiler.
    let (runtime, dir) = (function.runtime, function.dir.clone());
    let launch = tokio::task::spawn_blocking(move || runtime.prepare(launch, &home, &dir))
        .await
        .map_err(|err| ServeError::Build(format!("preparing the function failed: {err}")))?
        .map_err(|err| match err {
            PrepareError::Launch(err) => ServeError::Launch(err),
            PrepareError::Build(message) => ServeError::Build(message),
        })?;
    let function = Arc::new(function);
    let pool = WorkerPool::start(PoolConfig {
        function: function.clone(),
        launch,
        log_level: options.log_level.clone(),
    })
    .await?;

    let address = SocketAddr::new(options.host, function.http.port);
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(source) => {
            pool.shutdown().await;
            return Err(ServeError::Bind { address, source });
        }
    };
    let local = listener.local_addr().unwrap_or(address);
    on_ready(local);

    let context = Arc::new(HttpContext {
        pool: pool.clone(),
        trigger: function.http.clone(),
    });
    // Requests in flight get their event timeout, and a little more, to finish.
    let drain = function.event_timeout + Duration::from_secs(1);
    let failure = tokio::sync::OnceCell::new();
    let stop = async {
        tokio::select! {
            _ = shutdown => tracing::info!("stopping: draining requests in flight"),
            error = pool.failed() => { let _ = failure.set(error); }
        }
    };
    http::serve(listener, context, stop, drain).await;
    pool.shutdown().await;
    match failure.into_inner() {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}
