//! The `ferrite` command line.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::codec::CodecKind;
use crate::server::{self, ServeError, ServeOptions};
use crate::spec::{self, Overrides};
use crate::transport::TransportKind;

/// Exit code for input the user must fix: a bad spec, a missing interpreter.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a function that could not run: its handler did not load, a port was taken.
pub const EXIT_FAILED: u8 = 1;

/// ferrite: a serverless function processor.
#[derive(Debug, Parser)]
#[command(name = "ferrite", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a function: start its workers, then its HTTP trigger.
    Run(RunArgs),
    /// Run the runtime conformance suite: every case, per runtime × codec × transport.
    Conformance(ConformanceArgs),
    /// Print the JSON Schema of function.yaml.
    Schema,
}

/// `ferrite conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// Runtimes to run (repeatable); default: every runtime of this build.
    #[arg(long = "runtime")]
    pub runtimes: Vec<String>,
    /// Codecs (repeatable); default: all.
    #[arg(long = "codec", value_enum)]
    pub codecs: Vec<CodecKind>,
    /// Transports (repeatable); default: all.
    #[arg(long = "transport", value_enum)]
    pub transports: Vec<TransportKind>,
    /// Case ids (repeatable); default: all.
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// The suite directory (holding cases.yaml and functions/); default: tests/conformance.
    #[arg(long)]
    pub suite: Option<PathBuf>,
}

/// `ferrite run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A function.yaml, or a directory holding one.
    pub path: PathBuf,
    /// HTTP port (0 picks a free one); overrides the trigger's attributes.port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Worker processes; overrides the trigger's numWorkers.
    #[arg(long)]
    pub workers: Option<u32>,
    /// Codec between processor and workers; overrides spec.wire.codec.
    #[arg(long, value_enum)]
    pub codec: Option<CodecKind>,
    /// Transport between processor and workers; overrides spec.wire.transport.
    #[arg(long, value_enum)]
    pub transport: Option<TransportKind>,
    /// Runtime to run the handler under; overrides spec.runtime (e.g. pypy for a python function).
    #[arg(long)]
    pub runtime: Option<String>,
    /// Log level of the processor and its handlers (debug, info, warn, error).
    #[arg(long, default_value = "info", value_parser = ["debug", "info", "warn", "error"])]
    pub log_level: String,
    /// Threads of the processor itself; default: the cores the workers leave free, at least 1.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Runs the parsed command line and returns the process's exit code.
pub fn main(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Schema => {
            let schema = spec::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).expect("schema is JSON")
            );
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(args),
        Command::Conformance(args) => match async_runtime(None) {
            Ok(runtime) => runtime.block_on(conformance(args)),
            Err(code) => code,
        },
    }
}

/// The processor's own threads when `--threads` is not given: one per core the `workers`
/// wrapper processes leave free, and at least one. The processor's work per event is
/// mostly socket calls; on a machine with few cores a second processor thread mostly adds
/// cross-thread wake-ups (measured on 2 cores with 1 worker: 17 µs of processor CPU per
/// event with two threads, 13 µs with one).
pub fn default_threads(workers: u32) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    cores.saturating_sub(workers as usize).max(1)
}

/// A tokio runtime with `threads` worker threads (tokio's default, one per core, if None).
fn async_runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads);
    }
    builder.enable_all().build().map_err(|err| {
        eprintln!("ferrite: error: cannot start the async runtime: {err}");
        ExitCode::from(EXIT_FAILED)
    })
}

fn run(args: RunArgs) -> ExitCode {
    init_tracing(&args.log_level);
    let overrides = Overrides {
        port: args.port,
        workers: args.workers,
        codec: args.codec,
        transport: args.transport,
        runtime: args.runtime,
    };
    let loaded = match spec::load(&args.path, &overrides) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("ferrite: error: {err}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if !loaded.ignored.is_empty() {
        tracing::warn!(
            "nuclio settings ferrite does not use yet were ignored: {}",
            loaded.ignored.join(", ")
        );
    }
    let function = loaded.function;
    let name = function.name.clone();
    let threads = args
        .threads
        .map_or_else(|| default_threads(function.http.workers), usize::from);
    let runtime = match async_runtime(Some(threads)) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    tracing::info!(
        function = %name,
        runtime = function.runtime.name(),
        workers = function.http.workers,
        threads,
        codec = function.codec.name(),
        transport = function.transport.name(),
        "starting"
    );
    let options = ServeOptions {
        host: args.host,
        log_level: args.log_level,
    };
    let result = runtime.block_on(server::serve(
        function,
        options,
        shutdown_signal(),
        |address| {
            println!("ferrite: serving {name} at http://{address}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
        },
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ferrite: error: {err}");
            ExitCode::from(match err {
                ServeError::Launch(_) => EXIT_BAD_INPUT,
                _ => EXIT_FAILED,
            })
        }
    }
}

async fn conformance(args: ConformanceArgs) -> ExitCode {
    let options = crate::conformance::Options {
        runtimes: args.runtimes,
        codecs: args.codecs,
        transports: args.transports,
        cases: args.cases,
        suite: args.suite,
    };
    match crate::conformance::run(options).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FAILED),
        Err(err) => {
            eprintln!("ferrite: error: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRITE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
