//! The function spec: nuclio's `function.yaml`, read once into typed structs and checked in
//! one place ([`load`]). Errors name the key path; `ferrite run` turns them into exit code 2.

mod duration;
mod nuclio;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codec::CodecKind;
use crate::runtime::Runtime;
use crate::transport::{self, ShmSettings, TransportKind};

pub(crate) use duration::parse_go_duration;

/// The file name looked for when `ferrite run` is given a directory.
pub const SPEC_FILE_NAME: &str = "function.yaml";

const DEFAULT_EVENT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_READINESS_TIMEOUT_SECONDS: u64 = 60;
const DEFAULT_WORKER_AVAILABILITY_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_HTTP_PORT: u16 = 8080;
const DEFAULT_MAX_REQUEST_BODY_SIZE: u64 = 32 * 1024 * 1024;
const MAX_WORKERS: u32 = 1024;
const DEFAULT_PIPELINE_DEPTH: u32 = 64;
const MAX_PIPELINE_DEPTH: u32 = 1024;
const MAX_CONCURRENCY: u32 = 4096;

/// A nuclio function document (`apiVersion: nuclio.io/v1beta1`, `kind: NuclioFunction`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "ferrite function spec")]
pub struct FunctionConfig {
    /// `nuclio.io/v1beta1`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `NuclioFunction`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Who the function is.
    pub metadata: Metadata,
    /// What runs and how it is reached.
    pub spec: FunctionSpec,
}

/// `metadata`: the function's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// The function's name, shown in logs and given to the handler.
    pub name: String,
}

/// `spec`: the handler, its runtime and its triggers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FunctionSpec {
    /// `python` (also `python:3.x`, `python3`), `pypy` (also `pypy3`, `pypy:3.x`),
    /// `nodejs` (also `nodejs:20`), `java` or `dotnetcore` (also `dotnet`).
    pub runtime: String,
    /// Which code handles events; for Python `module:function`, e.g. `main:handler`; for
    /// Node.js `file:export`, e.g. `handler:handler` (export `handler` of `handler.js`,
    /// `.mjs` or `.cjs`); for Java the class implementing `io.ferrite.EventHandler`, e.g.
    /// `com.example.Hello`; for .NET `Namespace.Class:Method` (method `Handle` when left
    /// out), e.g. `Example.Hello:Handle`.
    pub handler: String,
    /// Environment variables given to every worker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Longest time one event may run, as a Go duration (`5s`, `1m30s`). Past it the event
    /// is answered 504 and its worker is restarted. Default `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_timeout: Option<String>,
    /// How long a worker may take to load the handler and run its init hook. Default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_timeout_seconds: Option<u64>,
    /// Triggers by name. Without an `http` trigger ferrite serves a default one with one
    /// worker on port 8080.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, TriggerConfig>,
    /// Settings of the runtime; used by `shell`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_attributes: Option<RuntimeAttributes>,
    /// ferrite's own: how the processor talks to its workers. nuclio ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireConfig>,
}

/// `spec.runtimeAttributes`: nuclio's per-runtime settings. The shell runtime reads these;
/// others ignore them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuntimeAttributes {
    /// shell: arguments given to the command on every event, as one string split on
    /// white space (nuclio's form) or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Arguments>,
    /// shell: headers added to every response.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_headers: BTreeMap<String, String>,
    /// shell, ferrite's own: append the words of a request's `X-Ferrite-Arguments` header to
    /// the arguments (never through a shell). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_request_arguments: Option<bool>,
}

/// Command arguments: `"-n 3"` or `["-n", "3"]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Arguments {
    /// Split on white space.
    Line(String),
    /// Taken as they are.
    List(Vec<String>),
}

/// The shell runtime's settings, from `spec.runtimeAttributes`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShellSettings {
    /// Fixed arguments.
    pub arguments: Vec<String>,
    /// Headers added to every response.
    pub response_headers: BTreeMap<String, String>,
    /// Whether `X-Ferrite-Arguments` adds arguments.
    pub allow_request_arguments: bool,
}

/// One `spec.env` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Its value; empty when absent.
    #[serde(default)]
    pub value: String,
}

/// The kinds of trigger ferrite serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    /// HTTP requests.
    Http,
}

/// One `spec.triggers.<name>` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerConfig {
    /// `http`.
    pub kind: TriggerKind,
    /// Number of worker processes. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<u32>,
    /// nuclio's older name for `numWorkers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_workers: Option<u32>,
    /// How long an event waits for a free worker before it is answered 503. Default 10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_availability_timeout_milliseconds: Option<u64>,
    /// Kind-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<HttpAttributes>,
}

/// `attributes` of an `http` trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpAttributes {
    /// TCP port to listen on; 0 picks a free one. Default 8080.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Largest request body accepted, in bytes; larger ones get 413. Default 33554432 (32 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body_size: Option<u64>,
}

/// `spec.wire`: ferrite's choice of codec and transport between processor and workers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WireConfig {
    /// `json` (line-JSON), `msgpack` (default) or `flatbuffers` (bodies read in place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<CodecKind>,
    /// `unix` (default), `tcp` on loopback, or `shm` (two byte rings in shared memory, for
    /// runtimes whose wrapper speaks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<TransportKind>,
    /// The most events a worker that runs one event at a time is sent ahead of its
    /// answers (1 to 1024, default 64). Within it, the processor keeps about 2 ms of work
    /// queued on such a worker, at the pace it has been answering (and at least 2 events):
    /// a fast handler gets a deep pipeline, which keeps its wrapper busy, a slow one few
    /// events waiting behind it. While its running event has run longer than that budget
    /// and four times its usual time, it is sent nothing more. Workers that run events
    /// concurrently are sent as many as they declare instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_depth: Option<u32>,
    /// How many events one worker of an asynchronous runtime (Node.js) runs at the same
    /// time (1 to 4096; default 64 for `nodejs`). The wrapper gets it as
    /// `FERRITE_CONCURRENCY` and declares it in its hello; the processor never sends one
    /// worker more. Java (default 1) runs that many events at once on a thread pool.
    /// Runtimes that run one event at a time (Python) ignore it. Above 1, an
    /// event that overruns `eventTimeout` restarts its whole worker, and the worker's
    /// other events are answered 502.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// `shm` only: how long, in microseconds, a side whose ring is empty (or full) checks
    /// it again before it announces a sleep and waits for its doorbell (0 to 1000, default
    /// 0). Spinning answers a quick reply sooner where both sides have a core of their own;
    /// where they share one, it delays the side that would answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spin_micros: Option<u32>,
    /// `shm` only: capacity of each of a worker's two rings in bytes, a power of two from
    /// 4096 to 1073741824 (default 1048576). Larger frames pass through in pieces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_bytes: Option<u64>,
}

/// A spec that loaded and passed every check: what the processor runs.
#[derive(Debug, Clone)]
pub struct Function {
    /// `metadata.name`.
    pub name: String,
    /// The directory the spec was found in; the handler's code lives there.
    pub dir: PathBuf,
    /// The language runtime.
    pub runtime: Runtime,
    /// `spec.handler`, as written.
    pub handler: String,
    /// `spec.env`, in order.
    pub env: Vec<(String, String)>,
    /// `spec.eventTimeout`.
    pub event_timeout: Duration,
    /// `spec.readinessTimeoutSeconds`.
    pub readiness_timeout: Duration,
    /// The HTTP trigger.
    pub http: HttpTrigger,
    /// Codec between processor and workers.
    pub codec: CodecKind,
    /// Transport between processor and workers.
    pub transport: TransportKind,
    /// The `shm` transport's settings (unused by the others).
    pub shm: ShmSettings,
    /// The most events sent ahead to an in-order worker.
    pub pipeline_depth: usize,
    /// The shell runtime's settings (empty for other runtimes).
    pub shell: ShellSettings,
    /// Events one worker of an asynchronous runtime runs at once (`FERRITE_CONCURRENCY`).
    pub concurrency: u32,
}

/// The HTTP trigger's settings, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTrigger {
    /// The trigger's name in the spec (`default-http` when the spec has none).
    pub name: String,
    /// Port to listen on.
    pub port: u16,
    /// Worker processes.
    pub workers: u32,
    /// Wait for a free worker before answering 503.
    pub worker_availability_timeout: Duration,
    /// Largest accepted request body.
    pub max_request_body_size: u64,
}

/// A spec that loaded, plus the nuclio keys it carried that ferrite ignores.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The checked function.
    pub function: Function,
    /// Key paths (or trigger notes) accepted and ignored, to report once.
    pub ignored: Vec<String>,
}

/// Command-line values that win over the spec.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--port`.
    pub port: Option<u16>,
    /// `--workers`.
    pub workers: Option<u32>,
    /// `--codec`.
    pub codec: Option<CodecKind>,
    /// `--transport`.
    pub transport: Option<TransportKind>,
    /// `--runtime`: run the handler under another runtime of its language (e.g. `pypy`).
    pub runtime: Option<String>,
}

/// Why a spec could not be used. Every variant is the user's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The YAML itself is broken.
    #[error("{}: malformed YAML: {source}", path.display())]
    Yaml {
        /// The spec file.
        path: PathBuf,
        /// The parser's account, with line and column.
        source: serde_yaml_ng::Error,
    },
    /// A key is unknown, has the wrong type or a value that is not allowed.
    #[error("{}: {key}: {message}", path.display())]
    Invalid {
        /// The spec file.
        path: PathBuf,
        /// Dotted key path, e.g. `spec.triggers.web.numWorkers`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// Reads the spec at `path` (a `function.yaml` or a directory holding one), checks it and
/// applies `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Loaded, SpecError> {
    let file = if path.is_dir() {
        path.join(SPEC_FILE_NAME)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|source| SpecError::Read {
        path: file.clone(),
        source,
    })?;
    let dir = file
        .parent()
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }
        })
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(|source| SpecError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let (config, ignored) = parse(&text).map_err(|err| err.at(&file))?;
    let function = check(config, dir, overrides).map_err(|err| err.at(&file))?;
    Ok(Loaded { function, ignored })
}

/// A spec problem before the file name is attached.
#[derive(Debug)]
pub(crate) enum Problem {
    Yaml(serde_yaml_ng::Error),
    Invalid { key: String, message: String },
}

impl Problem {
    fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    fn at(self, path: &Path) -> SpecError {
        match self {
            Problem::Yaml(source) => SpecError::Yaml {
                path: path.to_path_buf(),
                source,
            },
            Problem::Invalid { key, message } => SpecError::Invalid {
                path: path.to_path_buf(),
                key,
                message,
            },
        }
    }
}

/// Parses YAML text into the typed config, returning the ignored nuclio keys beside it.
pub(crate) fn parse(text: &str) -> Result<(FunctionConfig, Vec<String>), Problem> {
    let mut raw: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(Problem::Yaml)?;
    if raw.is_null() {
        return Err(Problem::invalid("(document)", "the spec is empty"));
    }
    let mut ignored = Vec::new();
    nuclio::strip_ignored(&mut raw, &mut ignored);
    let config = serde_path_to_error::deserialize(raw).map_err(|err| {
        let key = err.path().to_string();
        let key = if key == "." { "(document)".into() } else { key };
        Problem::invalid(key, err.into_inner().to_string())
    })?;
    Ok((config, ignored))
}

/// Every check and default of the spec, in one place.
fn check(config: FunctionConfig, dir: PathBuf, overrides: &Overrides) -> Result<Function, Problem> {
    if let Some(api_version) = &config.api_version {
        if !api_version.starts_with("nuclio.io/") {
            return Err(Problem::invalid(
                "apiVersion",
                format!("expected nuclio.io/v1beta1, found {api_version:?}"),
            ));
        }
    }
    if let Some(kind) = &config.kind {
        if kind != "NuclioFunction" {
            return Err(Problem::invalid(
                "kind",
                format!("expected NuclioFunction, found {kind:?}"),
            ));
        }
    }
    let name = config.metadata.name.trim().to_owned();
    if name.is_empty() {
        return Err(Problem::invalid("metadata.name", "must not be empty"));
    }
    let spec = config.spec;
    let runtime: Runtime = match &overrides.runtime {
        Some(name) => name
            .parse()
            .map_err(|message: String| Problem::invalid("--runtime", message))?,
        None => spec
            .runtime
            .parse()
            .map_err(|message: String| Problem::invalid("spec.runtime", message))?,
    };
    runtime
        .check_handler(&spec.handler, &dir)
        .map_err(|message| Problem::invalid("spec.handler", message))?;

    let mut env = Vec::with_capacity(spec.env.len());
    for (index, var) in spec.env.into_iter().enumerate() {
        if var.name.is_empty() || var.name.contains('=') || var.name.contains('\0') {
            return Err(Problem::invalid(
                format!("spec.env[{index}].name"),
                format!("{:?} is not a valid variable name", var.name),
            ));
        }
        if var.name.starts_with("FERRITE_") {
            return Err(Problem::invalid(
                format!("spec.env[{index}].name"),
                format!(
                    "{} is reserved: FERRITE_ variables belong to the processor",
                    var.name
                ),
            ));
        }
        env.push((var.name, var.value));
    }

    let event_timeout = match &spec.event_timeout {
        None => DEFAULT_EVENT_TIMEOUT,
        Some(text) => match parse_go_duration(text) {
            Ok(timeout) if timeout.is_zero() => {
                return Err(Problem::invalid("spec.eventTimeout", "must be more than 0"))
            }
            Ok(timeout) => timeout,
            Err(message) => return Err(Problem::invalid("spec.eventTimeout", message)),
        },
    };
    let readiness_seconds = spec
        .readiness_timeout_seconds
        .unwrap_or(DEFAULT_READINESS_TIMEOUT_SECONDS);
    if readiness_seconds == 0 {
        return Err(Problem::invalid(
            "spec.readinessTimeoutSeconds",
            "must be more than 0",
        ));
    }

    let mut http = http_trigger(&spec.triggers)?;
    if let Some(port) = overrides.port {
        http.port = port;
    }
    if let Some(workers) = overrides.workers {
        http.workers = workers;
    }
    if http.workers == 0 || http.workers > MAX_WORKERS {
        return Err(Problem::invalid(
            format!("spec.triggers.{}.numWorkers", http.name),
            format!("must be from 1 to {MAX_WORKERS}, found {}", http.workers),
        ));
    }

    let wire = spec.wire.unwrap_or_default();
    let pipeline_depth = wire.pipeline_depth.unwrap_or(DEFAULT_PIPELINE_DEPTH);
    if pipeline_depth == 0 || pipeline_depth > MAX_PIPELINE_DEPTH {
        return Err(Problem::invalid(
            "spec.wire.pipelineDepth",
            format!("must be from 1 to {MAX_PIPELINE_DEPTH}, found {pipeline_depth}"),
        ));
    }
    let concurrency = wire
        .concurrency
        .unwrap_or_else(|| runtime.default_concurrency());
    if concurrency == 0 || concurrency > MAX_CONCURRENCY {
        return Err(Problem::invalid(
            "spec.wire.concurrency",
            format!("must be from 1 to {MAX_CONCURRENCY}, found {concurrency}"),
        ));
    }
    let transport = overrides.transport.or(wire.transport).unwrap_or_default();
    let shm = shm_settings(&wire)?;
    Ok(Function {
        name,
        dir,
        runtime,
        handler: spec.handler,
        env,
        event_timeout,
        readiness_timeout: Duration::from_secs(readiness_seconds),
        http,
        codec: overrides.codec.or(wire.codec).unwrap_or_default(),
        transport,
        shm,
        pipeline_depth: pipeline_depth as usize,
        shell: shell_settings(spec.runtime_attributes.unwrap_or_default()),
        concurrency,
    })
}

/// Smallest `spec.wire.ringBytes`: a page, so a ring is never smaller than its header.
const MIN_RING_BYTES: u64 = 4096;

fn shm_settings(wire: &WireConfig) -> Result<ShmSettings, Problem> {
    let spin = wire.spin_micros.unwrap_or(transport::DEFAULT_SPIN_MICROS);
    if spin > transport::MAX_SPIN_MICROS {
        return Err(Problem::invalid(
            "spec.wire.spinMicros",
            format!(
                "must be from 0 to {}, found {spin}",
                transport::MAX_SPIN_MICROS
            ),
        ));
    }
    let ring_bytes = wire
        .ring_bytes
        .unwrap_or(transport::DEFAULT_RING_BYTES as u64);
    let max = ferrite_ring::layout::MAX_CAPACITY as u64;
    if !ring_bytes.is_power_of_two() || !(MIN_RING_BYTES..=max).contains(&ring_bytes) {
        return Err(Problem::invalid(
            "spec.wire.ringBytes",
            format!("must be a power of two from {MIN_RING_BYTES} to {max}, found {ring_bytes}"),
        ));
    }
    Ok(ShmSettings {
        spin: Duration::from_micros(spin.into()),
        ring_bytes: ring_bytes as usize,
    })
}

fn shell_settings(attributes: RuntimeAttributes) -> ShellSettings {
    let arguments = match attributes.arguments {
        None => Vec::new(),
        Some(Arguments::Line(line)) => line.split_whitespace().map(str::to_owned).collect(),
        Some(Arguments::List(list)) => list,
    };
    ShellSettings {
        arguments,
        response_headers: attributes.response_headers,
        allow_request_arguments: attributes.allow_request_arguments.unwrap_or(false),
    }
}

fn http_trigger(triggers: &BTreeMap<String, TriggerConfig>) -> Result<HttpTrigger, Problem> {
    let http: Vec<_> = triggers
        .iter()
        .filter(|(_, trigger)| trigger.kind == TriggerKind::Http)
        .collect();
    let (name, trigger) = match http.as_slice() {
        [] => {
            return Ok(HttpTrigger {
                name: "default-http".into(),
                port: DEFAULT_HTTP_PORT,
                workers: 1,
                worker_availability_timeout: Duration::from_millis(
                    DEFAULT_WORKER_AVAILABILITY_TIMEOUT_MS,
                ),
                max_request_body_size: DEFAULT_MAX_REQUEST_BODY_SIZE,
            })
        }
        [one] => *one,
        more => {
            let names: Vec<&str> = more.iter().map(|(name, _)| name.as_str()).collect();
            return Err(Problem::invalid(
                "spec.triggers",
                format!(
                    "ferrite serves one http trigger per function; found {}",
                    names.join(", ")
                ),
            ));
        }
    };
    let key = |field: &str| format!("spec.triggers.{name}.{field}");
    if let (Some(num), Some(max)) = (trigger.num_workers, trigger.max_workers) {
        if num != max {
            return Err(Problem::invalid(
                key("maxWorkers"),
                format!("numWorkers is {num} and its older name maxWorkers is {max}; keep one"),
            ));
        }
    }
    let attributes = trigger.attributes.clone().unwrap_or(HttpAttributes {
        port: None,
        max_request_body_size: None,
    });
    let max_request_body_size = attributes
        .max_request_body_size
        .unwrap_or(DEFAULT_MAX_REQUEST_BODY_SIZE);
    if max_request_body_size == 0 {
        return Err(Problem::invalid(
            key("attributes.maxRequestBodySize"),
            "must be more than 0",
        ));
    }
    Ok(HttpTrigger {
        name: name.clone(),
        port: attributes.port.unwrap_or(DEFAULT_HTTP_PORT),
        workers: trigger.num_workers.or(trigger.max_workers).unwrap_or(1),
        worker_availability_timeout: Duration::from_millis(
            trigger
                .worker_availability_timeout_milliseconds
                .unwrap_or(DEFAULT_WORKER_AVAILABILITY_TIMEOUT_MS),
        ),
        max_request_body_size,
    })
}

/// The JSON Schema of `function.yaml`, with nuclio's ignored keys listed as accepted.
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(FunctionConfig))
        .expect("a schema is plain JSON");
    let definition_of = |group: &str| match group {
        "" => None,
        "metadata" => Some("Metadata"),
        "spec" => Some("FunctionSpec"),
        "spec.triggers.*" => Some("TriggerConfig"),
        "spec.triggers.*.attributes" => Some("HttpAttributes"),
        "spec.env[]" => Some("EnvVar"),
        other => panic!("ignored-key group {other:?} has no schema definition"),
    };
    for (group, keys) in nuclio::IGNORED_KEYS {
        let object = match definition_of(group) {
            None => &mut schema,
            Some(name) => &mut schema["$defs"][name],
        };
        let properties = object["properties"]
            .as_object_mut()
            .expect("every spec struct has properties");
        for key in *keys {
            properties.insert(
                (*key).to_owned(),
                serde_json::json!({ "description": "nuclio key; accepted and ignored by ferrite" }),
            );
        }
    }
    schema
}

#[cfg(test)]
mod tests;
