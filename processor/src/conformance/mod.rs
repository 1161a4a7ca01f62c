//! The runtime conformance suite's runner: `ferrite conformance`.
//!
//! The suite is data (`tests/conformance/cases.yaml`) plus one function per language
//! (`tests/conformance/functions/<runtime>/`). For every cell of runtime × codec ×
//! transport asked for, the runner starts a real `ferrite run` on that language's function,
//! sends every case's requests over real HTTP, checks the answers (and the processor's
//! log), stops the processor with SIGTERM and checks that it exits 0. It prints a matrix
//! and each failure's case id, expectation and what came back.

mod cases;
mod client;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::codec::CodecKind;
use crate::runtime::{self, Runtime};
use crate::transport::TransportKind;
use cases::{Case, Reply, Step, Suite};

/// How long a processor may take to print its URL.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a processor may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Runtimes by name; empty means every runtime this build has.
    pub runtimes: Vec<String>,
    /// Codecs; empty means all.
    pub codecs: Vec<CodecKind>,
    /// Transports; empty means all.
    pub transports: Vec<TransportKind>,
    /// Case ids; empty means all.
    pub cases: Vec<String>,
    /// The suite directory; default `tests/conformance` under ferrite's home.
    pub suite: Option<PathBuf>,
}

/// Why the suite could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The case file is missing or malformed.
    #[error("{}: {message}", path.display())]
    Cases {
        /// The case file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An option names something that does not exist.
    #[error("{0}")]
    Usage(String),
}

/// One cell's results.
struct CellReport {
    label: String,
    passed: usize,
    failed: Vec<(String, String)>,
    skipped: Vec<(String, String)>,
    missing: Option<String>,
    seconds: f64,
}

impl CellReport {
    /// A cell not run yet.
    fn new(label: String) -> Self {
        CellReport {
            label,
            passed: 0,
            failed: Vec::new(),
            skipped: Vec::new(),
            missing: None,
            seconds: 0.0,
        }
    }
}

/// Runs the cells asked for, prints the matrix, and tells whether everything passed.
pub async fn run(options: Options) -> Result<bool, SuiteError> {
    let suite_dir = match &options.suite {
        Some(dir) => dir.clone(),
        None => runtime::locate_home()
            .map_err(|err| SuiteError::Usage(err.to_string()))?
            .join("tests/conformance"),
    };
    let cases_path = suite_dir.join("cases.yaml");
    let suite = load_suite(&cases_path)?;
    for id in &options.cases {
        if !suite.cases.iter().any(|case| &case.id == id) {
            return Err(SuiteError::Usage(format!(
                "no case {id:?} in {}",
                cases_path.display()
            )));
        }
    }
    let runtimes: Vec<Runtime> = if options.runtimes.is_empty() {
        Runtime::ALL.to_vec()
    } else {
        options
            .runtimes
            .iter()
            .map(|name| name.parse().map_err(SuiteError::Usage))
            .collect::<Result<_, _>>()?
    };
    let codecs = if options.codecs.is_empty() {
        CodecKind::ALL.to_vec()
    } else {
        options.codecs.clone()
    };
    let transports = if options.transports.is_empty() {
        TransportKind::ALL.to_vec()
    } else {
        options.transports.clone()
    };
    let selected: Vec<&Case> = suite
        .cases
        .iter()
        .filter(|case| options.cases.is_empty() || options.cases.contains(&case.id))
        .collect();

    let started = Instant::now();
    let mut reports = Vec::new();
    for runtime in runtimes {
        let missing = runtime::locate_home()
            .and_then(|home| runtime.launch(&home))
            .err()
            .map(|err| err.to_string());
        // A runtime without wrappers (shell) has no wire, so one cell stands for it.
        let wires: Vec<Option<(CodecKind, TransportKind)>> = if runtime.runs_wrappers() {
            codecs
                .iter()
                .flat_map(|&codec| {
                    transports
                        .iter()
                        .map(move |&transport| Some((codec, transport)))
                })
                .collect()
        } else {
            vec![None]
        };
        for wire in wires {
            let label = match wire {
                Some((codec, transport)) => {
                    format!("{}/{}/{}", runtime.name(), codec.name(), transport.name())
                }
                None => format!("{} (no wire)", runtime.name()),
            };
            if missing.is_some() {
                reports.push(CellReport {
                    missing: missing.clone(),
                    ..CellReport::new(label)
                });
                continue;
            }
            eprintln!("conformance: {label} ...");
            let function_dir = suite_dir
                .join("functions")
                .join(runtime.conformance_function());
            reports.push(run_cell(label, runtime, &function_dir, wire, &selected).await);
        }
    }
    print_matrix(&reports, started.elapsed());
    Ok(reports
        .iter()
        .all(|report| report.failed.is_empty() && report.missing.is_none()))
}

fn load_suite(path: &Path) -> Result<Suite, SuiteError> {
    let error = |message: String| SuiteError::Cases {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|err| error(err.to_string()))?;
    let suite: Suite =
        serde_path_to_error::deserialize(serde_yaml_ng::Deserializer::from_str(&text))
            .map_err(|err| error(format!("{}: {}", err.path(), err.inner())))?;
    let mut seen = std::collections::BTreeSet::new();
    for case in &suite.cases {
        if !seen.insert(case.id.as_str()) {
            return Err(error(format!("case id {:?} appears twice", case.id)));
        }
    }
    Ok(suite)
}

async fn run_cell(
    label: String,
    runtime: Runtime,
    function_dir: &Path,
    wire: Option<(CodecKind, TransportKind)>,
    cases: &[&Case],
) -> CellReport {
    let started = Instant::now();
    let mut report = CellReport::new(label);
    let log_dir = match tempfile::Builder::new()
        .prefix("ferrite-conformance-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(err) => {
            report.failed.push((
                "(start)".into(),
                format!("cannot make a log directory: {err}"),
            ));
            return report;
        }
    };
    let log_path = log_dir.path().join("processor.log");
    let processor = match Processor::start(function_dir, runtime, wire, &log_path).await {
        Ok(processor) => processor,
        Err(err) => {
            report.failed.push(("(start)".into(), err));
            report.seconds = started.elapsed().as_secs_f64();
            return report;
        }
    };
    for case in cases {
        if let Some(reason) = case.not_for.get(runtime.name()) {
            report.skipped.push((case.id.clone(), reason.clone()));
            continue;
        }
        match run_case(case, processor.address, &log_path).await {
            Ok(()) => report.passed += 1,
            Err(err) => report
                .failed
                .push((case.id.clone(), format!("{}: {err}", case.description))),
        }
    }
    match processor.stop().await {
        Ok(()) => report.passed += 1,
        Err(err) => report.failed.push(("clean-shutdown".into(), err)),
    }
    if !report.failed.is_empty() {
        // Keep the log for the reader of the failures.
        let kept = log_dir.keep();
        report.failed.push((
            "(log)".into(),
            format!(
                "processor log kept at {}",
                kept.join("processor.log").display()
            ),
        ));
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

async fn run_case(case: &Case, address: SocketAddr, log_path: &Path) -> Result<(), String> {
    for (index, step) in case.steps.iter().enumerate() {
        let retry_until = step
            .retry_for
            .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds));
        loop {
            match run_step(case, index, step, address, log_path).await {
                Ok(()) => break,
                Err(err) => match retry_until {
                    Some(until) if Instant::now() < until => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    _ => return Err(format!("step {}: {err}", index + 1)),
                },
            }
        }
    }
    Ok(())
}

async fn run_step(
    case: &Case,
    index: usize,
    step: &Step,
    address: SocketAddr,
    log_path: &Path,
) -> Result<(), String> {
    let body = request_body(case, index, step);
    let started = Instant::now();
    let mut replies: Vec<Reply> = Vec::new();
    for _ in 0..step.repeat {
        let burst = (0..step.parallel).map(|_| {
            let body = body.clone();
            let request = &step.request;
            async move { client::send(address, request, body).await }
        });
        for reply in futures_util::future::join_all(burst).await {
            let reply = reply?;
            step.expect
                .check_reply(&body, &reply)
                .map_err(|err| format!("request {}: {err}", replies.len() + 1))?;
            replies.push(reply);
        }
    }
    step.expect.check_step(started.elapsed(), &replies)?;
    check_log(&step.expect.log_contains, log_path).await
}

/// The step's request body: its text, or random bytes seeded by case and step so a
/// failure reproduces.
fn request_body(case: &Case, index: usize, step: &Step) -> Bytes {
    if let Some(len) = step.request.body_random {
        let mut state = case
            .id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64 ^ index as u64, |hash, b| {
                (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
            | 1;
        let mut bytes = Vec::with_capacity(len + 8);
        while bytes.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        bytes.truncate(len);
        return Bytes::from(bytes);
    }
    step.request
        .body
        .clone()
        .map(Bytes::from)
        .unwrap_or_default()
}

/// Waits briefly for each needle to appear in the processor's log.
async fn check_log(needles: &[String], log_path: &Path) -> Result<(), String> {
    if needles.is_empty() {
        return Ok(());
    }
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let log = std::fs::read_to_string(log_path).unwrap_or_default();
        let missing: Vec<&String> = needles
            .iter()
            .filter(|needle| !log.contains(needle.as_str()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() > until {
            return Err(format!("the processor's log lacks {missing:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `ferrite run` started for one cell.
struct Processor {
    child: Child,
    address: SocketAddr,
    log_path: PathBuf,
}

impl Processor {
    async fn start(
        function_dir: &Path,
        runtime: Runtime,
        wire: Option<(CodecKind, TransportKind)>,
        log_path: &Path,
    ) -> Result<Processor, String> {
        let exe = std::env::current_exe()
            .map_err(|err| format!("cannot find ferrite's own binary: {err}"))?;
        let log = std::fs::File::create(log_path)
            .map_err(|err| format!("cannot create {}: {err}", log_path.display()))?;
        let mut command = Command::new(exe);
        command
            .arg("run")
            .arg(function_dir)
            .args(["--port", "0", "--log-level", "debug"])
            .args(["--runtime", runtime.name()]);
        if let Some((codec, transport)) = wire {
            command.args(["--codec", codec.name(), "--transport", transport.name()]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("cannot start ferrite run: {err}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line()).await;
        let line = match first {
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                let status = child
                    .wait()
                    .await
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "ferrite run exited ({status}) before serving:\n{}",
                    log_tail(log_path)
                ));
            }
            Err(_) => {
                return Err(format!(
                    "ferrite run printed no URL within {} s:\n{}",
                    START_TIMEOUT.as_secs(),
                    log_tail(log_path)
                ))
            }
        };
        let address = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .and_then(|address| address.parse().ok())
            .ok_or_else(|| format!("no http://ADDRESS in ferrite's ready line {line:?}"))?;
        // Anything else the processor prints is not the suite's business, but the pipe must
        // not fill up.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Processor {
            child,
            address,
            log_path: log_path.to_path_buf(),
        })
    }

    /// SIGTERM, then the processor must exit 0 within the stop timeout.
    async fn stop(mut self) -> Result<(), String> {
        let Some(pid) = self.child.id() else {
            return Err("the processor had already exited".into());
        };
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .map_err(|err| format!("cannot signal the processor: {err}"))?;
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!(
                "exited with {status} after SIGTERM:\n{}",
                log_tail(&self.log_path)
            )),
            Ok(Err(err)) => Err(format!("cannot wait for the processor: {err}")),
            Err(_) => Err(format!(
                "still running {} s after SIGTERM",
                STOP_TIMEOUT.as_secs()
            )),
        }
    }
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn print_matrix(reports: &[CellReport], elapsed: Duration) {
    println!();
    println!(
        "{:<28} {:>5} {:>5} {:>8} {:>8}",
        "runtime/codec/transport", "pass", "fail", "skipped", "seconds"
    );
    for report in reports {
        if let Some(reason) = &report.missing {
            println!(
                "{:<28} {:>5} {:>5} {:>8} {:>8}  missing: {reason}",
                report.label, "-", "-", "-", "-"
            );
            continue;
        }
        let failed = report.failed.iter().filter(|(id, _)| id != "(log)").count();
        println!(
            "{:<28} {:>5} {:>5} {:>8} {:>8.1}",
            report.label,
            report.passed,
            failed,
            report.skipped.len(),
            report.seconds
        );
    }
    for report in reports {
        for (id, reason) in &report.skipped {
            println!("skipped {} {id}: {reason}", report.label);
        }
    }
    for report in reports {
        for (id, error) in &report.failed {
            println!("\nFAILED {} {id}: {error}", report.label);
        }
    }
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports
        .iter()
        .map(|r| {
            r.failed.iter().filter(|(id, _)| id != "(log)").count()
                + usize::from(r.missing.is_some())
        })
        .sum();
    let skipped: usize = reports.iter().map(|r| r.skipped.len()).sum();
    println!(
        "\nconformance: {passed} passed, {failed} failed, {skipped} skipped in {:.1} s",
        elapsed.as_secs_f64()
    );
}
