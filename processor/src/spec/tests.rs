use std::path::Path;
use std::time::Duration;

use super::*;

const MINIMAL: &str = "
metadata:
  name: hello
spec:
  runtime: python
  handler: main:handler
";

/// A function directory holding `main.py` and the given spec.
fn function_dir(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.py"),
        "def handler(context, event):\n    return ''\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(SPEC_FILE_NAME), spec).unwrap();
    dir
}

fn load_text(spec: &str) -> Result<Loaded, SpecError> {
    let dir = function_dir(spec);
    load(dir.path(), &Overrides::default())
}

/// The key path and message of an `Invalid` error.
fn invalid(spec: &str) -> (String, String) {
    match load_text(spec) {
        Err(SpecError::Invalid { key, message, .. }) => (key, message),
        other => panic!("expected an invalid-spec error, got {other:?}"),
    }
}

#[test]
fn minimal_spec_gets_defaults() {
    let function = load_text(MINIMAL).unwrap().function;
    assert_eq!(function.name, "hello");
    assert_eq!(function.runtime, Runtime::Python);
    assert_eq!(function.event_timeout, Duration::from_secs(60));
    assert_eq!(function.readiness_timeout, Duration::from_secs(60));
    assert_eq!(function.codec, CodecKind::Msgpack);
    assert_eq!(function.transport, TransportKind::Unix);
    assert_eq!(function.pipeline_depth, 64);
    assert_eq!(
        function.http,
        HttpTrigger {
            name: "default-http".into(),
            port: 8080,
            workers: 1,
            worker_availability_timeout: Duration::from_secs(10),
            max_request_body_size: 32 * 1024 * 1024,
        }
    );
}

#[test]
fn a_real_nuclio_spec_loads_and_reports_what_it_ignores() {
    let spec = r#"
apiVersion: "nuclio.io/v1beta1"
kind: NuclioFunction
metadata:
  name: echo
  namespace: nuclio
  labels: {team: a}
spec:
  description: echoes
  runtime: "python:3.9"
  handler: main:handler
  minReplicas: 1
  maxReplicas: 4
  build:
    commands: ["pip install requests"]
  env:
    - name: GREETING
      value: hi
    - name: SECRET
      valueFrom: {secretKeyRef: {name: s, key: k}}
  eventTimeout: 1m30s
  readinessTimeoutSeconds: 30
  triggers:
    web:
      kind: http
      maxWorkers: 3
      workerAvailabilityTimeoutMilliseconds: 250
      class: sync
      attributes:
        port: 9000
        maxRequestBodySize: 1024
        ingresses: {}
    tick:
      kind: cron
      attributes: {interval: 10s}
  wire:
    codec: json
    transport: tcp
status:
  state: ready
"#;
    let loaded = load_text(spec).unwrap();
    let function = loaded.function;
    assert_eq!(function.name, "echo");
    assert_eq!(
        function.env,
        vec![
            ("GREETING".to_owned(), "hi".to_owned()),
            ("SECRET".to_owned(), String::new())
        ]
    );
    assert_eq!(function.event_timeout, Duration::from_secs(90));
    assert_eq!(function.readiness_timeout, Duration::from_secs(30));
    assert_eq!(function.http.name, "web");
    assert_eq!(function.http.port, 9000);
    assert_eq!(function.http.workers, 3);
    assert_eq!(
        function.http.worker_availability_timeout,
        Duration::from_millis(250)
    );
    assert_eq!(function.http.max_request_body_size, 1024);
    assert_eq!(function.codec, CodecKind::Json);
    assert_eq!(function.transport, TransportKind::Tcp);
    for key in [
        "status",
        "metadata.namespace",
        "metadata.labels",
        "spec.description",
        "spec.minReplicas",
        "spec.maxReplicas",
        "spec.build",
        "spec.env[1].valueFrom",
        "spec.triggers.web.class",
        "spec.triggers.web.attributes.ingresses",
    ] {
        assert!(
            loaded.ignored.iter().any(|k| k == key),
            "{key} not reported in {:?}",
            loaded.ignored
        );
    }
    assert!(loaded
        .ignored
        .iter()
        .any(|k| k.starts_with("spec.triggers.tick:")));
}

/// Asserts that the minimal spec plus `tail` is refused at `key`, with a message holding
/// each of `says`.
fn assert_refused(tail: &str, key: &str, says: &[&str]) {
    let (found, message) = invalid(&format!("{MINIMAL}{tail}"));
    assert_eq!(found, key, "{tail}");
    for words in says {
        assert!(message.contains(words), "{key}: {message}");
    }
}

#[test]
fn unknown_keys_are_named_by_path() {
    // One case a line: the spec's tail, the key named, words of the message.
    #[rustfmt::skip]
    let cases: [(&str, &str, &[&str]); 3] = [
        ("  handlr: x\n", "spec.handlr", &["unknown field `handlr`"]),
        ("  triggers:\n    web:\n      kind: http\n      attributes:\n        prot: 1\n", "spec.triggers.web.attributes.prot", &[]),
        ("  env:\n    - name: A\n      vale: b\n", "spec.env[0].vale", &[]),
    ];
    for (tail, key, says) in cases {
        assert_refused(tail, key, says);
    }
}

#[test]
fn wrong_types_and_values_name_the_field() {
    let workers = |value: &str| {
        format!("  triggers:\n    web:\n      kind: http\n      numWorkers: {value}\n")
    };
    #[rustfmt::skip]
    let cases: [(&str, &str, &[&str]); 11] = [
        (&workers("many"), "spec.triggers.web.numWorkers", &["invalid type"]),
        ("  wire:\n    spinMicros: 1001\n", "spec.wire.spinMicros", &["from 0 to 1000, found 1001"]),
        ("  wire:\n    spinMicros: -1\n", "spec.wire.spinMicros", &["invalid value"]),
        ("  wire:\n    ringBytes: 1000000\n", "spec.wire.ringBytes", &["power of two", "found 1000000"]),
        ("  wire:\n    ringBytes: 2048\n", "spec.wire.ringBytes", &["from 4096 to 1073741824"]),
        (&workers("0"), "spec.triggers.web.numWorkers", &["from 1 to"]),
        ("  wire:\n    codec: xml\n", "spec.wire.codec", &["json", "msgpack", "flatbuffers"]),
        ("  wire:\n    pipelineDepth: 0\n", "spec.wire.pipelineDepth", &["from 1 to 1024"]),
        ("  eventTimeout: 5 seconds\n", "spec.eventTimeout", &["unknown unit"]),
        ("  triggers:\n    web:\n      kind: carrier-pigeon\n", "spec.triggers.web.kind", &[]),
        ("  env:\n    - name: FERRITE_TOKEN\n", "spec.env[0].name", &["reserved"]),
    ];
    for (tail, key, says) in cases {
        assert_refused(tail, key, says);
    }
}

#[test]
fn shm_settings_have_defaults_and_take_the_spec() {
    let function = load_text(MINIMAL).unwrap().function;
    assert_eq!(function.shm, ShmSettings::default());
    assert_eq!(function.shm.spin, Duration::ZERO);
    assert_eq!(function.shm.ring_bytes, 1 << 20);
    let tail = "  wire:\n    spinMicros: 1000\n    ringBytes: 4096\n";
    let function = load_text(&format!("{MINIMAL}{tail}")).unwrap().function;
    assert_eq!(function.shm.spin, Duration::from_micros(1000));
    assert_eq!(function.shm.ring_bytes, 4096);
}

#[test]
fn every_transport_is_chosen_by_its_name() {
    for transport in TransportKind::ALL {
        let loaded = load_text(&format!(
            "{MINIMAL}  wire:\n    transport: {}\n",
            transport.name()
        ));
        assert_eq!(loaded.unwrap().function.transport, transport);
    }
    let (key, message) = invalid(&format!("{MINIMAL}  wire:\n    transport: pipe\n"));
    assert_eq!(key, "spec.wire.transport");
    assert!(message.contains("pipe"), "{message}");
}

#[test]
fn runtimes_are_checked() {
    let (key, message) = invalid(&MINIMAL.replace("runtime: python", "runtime: cobol"));
    assert_eq!(key, "spec.runtime");
    assert!(message.contains("unknown runtime \"cobol\""), "{message}");

    let pypy = load_text(&MINIMAL.replace("runtime: python", "runtime: \"pypy:3.9\""));
    assert_eq!(pypy.unwrap().function.runtime, Runtime::PyPy);

    let (_, message) = invalid(&MINIMAL.replace("runtime: python", "runtime: golang"));
    assert!(
        message.contains("not supported by this ferrite yet"),
        "{message}"
    );
}

#[test]
fn the_handler_must_exist_and_have_python_form() {
    let (key, message) = invalid(&MINIMAL.replace("main:handler", "missing:handler"));
    assert_eq!(key, "spec.handler");
    assert!(message.contains("missing.py"), "{message}");

    let (_, message) = invalid(&MINIMAL.replace("main:handler", "main.handler"));
    assert!(message.contains("module:function"), "{message}");
}

#[test]
fn nodejs_functions_name_a_file_and_run_many_events_per_worker() {
    let node = |extra: &str| {
        let dir = function_dir(&format!(
            "metadata:\n  name: n\nspec:\n  runtime: \"nodejs:20\"\n  handler: handler:handler\n{extra}"
        ));
        std::fs::write(
            dir.path().join("handler.js"),
            "exports.handler = () => '';\n",
        )
        .unwrap();
        let loaded = load(dir.path(), &Overrides::default());
        (dir, loaded)
    };
    let function = node("").1.unwrap().function;
    assert_eq!(function.runtime, Runtime::Node);
    assert_eq!(function.concurrency, 64);
    assert_eq!(load_text(MINIMAL).unwrap().function.concurrency, 1);
    let function = node("  wire:\n    concurrency: 8\n").1.unwrap().function;
    assert_eq!(function.concurrency, 8);
    for bad in [0, 4097] {
        match node(&format!("  wire:\n    concurrency: {bad}\n")).1 {
            Err(SpecError::Invalid { key, message, .. }) => {
                assert_eq!(key, "spec.wire.concurrency");
                assert!(message.contains("from 1 to 4096"), "{message}");
            }
            other => panic!("concurrency {bad}: {other:?}"),
        }
    }

    let (dir, _) = node("");
    std::fs::remove_file(dir.path().join("handler.js")).unwrap();
    match load(dir.path(), &Overrides::default()) {
        Err(SpecError::Invalid { key, message, .. }) => {
            assert_eq!(key, "spec.handler");
            assert!(message.contains("handler.js"), "{message}");
        }
        other => panic!("expected a missing handler file, got {other:?}"),
    }
}

#[test]
fn max_workers_is_the_old_name_of_num_workers() {
    let spec = format!("{MINIMAL}  triggers:\n    web:\n      kind: http\n      maxWorkers: 5\n");
    assert_eq!(load_text(&spec).unwrap().function.http.workers, 5);
    let (key, _) = invalid(&format!(
        "{MINIMAL}  triggers:\n    web:\n      kind: http\n      maxWorkers: 5\n      numWorkers: 2\n"
    ));
    assert_eq!(key, "spec.triggers.web.maxWorkers");
}

#[test]
fn flags_override_the_spec() {
    let dir = function_dir(&format!(
        "{MINIMAL}  triggers:\n    web:\n      kind: http\n      numWorkers: 2\n      attributes: {{port: 9000}}\n"
    ));
    let overrides = Overrides {
        port: Some(0),
        workers: Some(4),
        codec: Some(CodecKind::Json),
        transport: Some(TransportKind::Tcp),
        runtime: Some("pypy".into()),
    };
    let function = load(&dir.path().join(SPEC_FILE_NAME), &overrides)
        .unwrap()
        .function;
    assert_eq!(function.runtime, Runtime::PyPy);
    assert_eq!(function.http.port, 0);
    assert_eq!(function.http.workers, 4);
    assert_eq!(function.codec, CodecKind::Json);
    assert_eq!(function.transport, TransportKind::Tcp);
}

#[test]
fn unreadable_and_malformed_files_are_reported() {
    let err = load(
        Path::new("/nonexistent/function.yaml"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(matches!(err, SpecError::Read { .. }), "{err}");

    let err = load_text("spec: [unclosed\n").unwrap_err();
    assert!(matches!(err, SpecError::Yaml { .. }), "{err}");
    assert!(err.to_string().contains("line"), "{err}");

    let (key, message) = invalid("");
    assert_eq!(key, "(document)");
    assert!(message.contains("empty"), "{message}");

    let (key, _) = invalid("metadata: {name: x}\n");
    assert_eq!(key, "(document)");
}

#[test]
fn config_round_trips_through_yaml_and_json() {
    let spec = format!(
        "{MINIMAL}  eventTimeout: 5s\n  env:\n    - {{name: A, value: b}}\n  triggers:\n    web:\n      kind: http\n      numWorkers: 2\n      attributes: {{port: 0}}\n  wire: {{codec: json, transport: tcp}}\n"
    );
    let (config, _) = parse(&spec).unwrap();
    let yaml = serde_yaml_ng::to_string(&config).unwrap();
    assert_eq!(parse(&yaml).unwrap().0, config);
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(
        serde_json::from_str::<FunctionConfig>(&json).unwrap(),
        config
    );
}

#[test]
fn committed_json_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/function.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
    assert!(
        committed == current,
        "{} is stale; regenerate it with `cargo run -q -p ferrite -- schema > schemas/function.schema.json`",
        path.display()
    );
}

#[test]
fn schema_lists_ignored_nuclio_keys() {
    let schema = json_schema();
    assert!(schema["$defs"]["FunctionSpec"]["properties"]["minReplicas"].is_object());
    assert!(schema["$defs"]["FunctionSpec"]["properties"]["handler"].is_object());
}

#[test]
fn shell_settings_come_from_runtime_attributes() {
    let dir = function_dir(
        "metadata: {name: s}\nspec:\n  runtime: shell\n  handler: cat\n  runtimeAttributes:\n    arguments: -u  -v\n    responseHeaders: {X-A: b}\n",
    );
    let function = load(dir.path(), &Overrides::default()).unwrap().function;
    assert_eq!(function.runtime, Runtime::Shell);
    assert_eq!(function.shell.arguments, vec!["-u", "-v"]);
    assert_eq!(function.shell.response_headers["X-A"], "b");
    assert!(!function.shell.allow_request_arguments);

    let (key, message) =
        invalid("metadata: {name: s}\nspec:\n  runtime: shell\n  handler: no-such-command-here\n");
    assert_eq!(key, "spec.handler");
    assert!(message.contains("neither a file"), "{message}");

    let (key, _) = invalid(&format!(
        "{MINIMAL}  runtimeAttributes:\n    argumnets: x\n"
    ));
    assert_eq!(key, "spec.runtimeAttributes.argumnets");
}
