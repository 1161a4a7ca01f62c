//! Black-box tests of the real `ferrite` binary with real Python workers over real HTTP.
//! The runtime × codec × transport behaviour lives in the conformance suite, which the
//! first test runs; the rest cover what is about the processor as a program: exit codes,
//! start-up failures, draining on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Running;

const FERRITE: &str = env!("CARGO_BIN_EXE_ferrite");

fn ferrite() -> Command {
    let mut command = Command::new(FERRITE);
    command
        .env_remove("FERRITE_LOG")
        .env_remove("FERRITE_PYTHON")
        .env_remove("FERRITE_NODE");
    command
}

/// A function directory holding `code` as `file` (executable, for shell) and a spec of
/// `runtime` and `handler` with `spec_extra` appended.
fn function_of(
    runtime: &str,
    handler: &str,
    file: &str,
    code: &str,
    spec_extra: &str,
) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, code).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let spec = format!(
        "apiVersion: nuclio.io/v1beta1\nkind: NuclioFunction\nmetadata:\n  name: e2e\nspec:\n  runtime: {runtime}\n  handler: {handler}\n{spec_extra}"
    );
    std::fs::write(dir.path().join("function.yaml"), spec).unwrap();
    dir
}

/// A Python function: `main.py` with `handler`.
fn function(main_py: &str, spec_extra: &str) -> tempfile::TempDir {
    function_of("python", "main:handler", "main.py", main_py, spec_extra)
}

/// A Node.js function: `handler.js` exporting `handler`.
fn node_function(handler_js: &str, spec_extra: &str) -> tempfile::TempDir {
    function_of(
        "nodejs",
        "handler:handler",
        "handler.js",
        handler_js,
        spec_extra,
    )
}

fn run_to_end(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().expect("ferrite runs")
}

impl Running {
    fn start(dir: &Path, args: &[&str]) -> Running {
        Running::spawn(
            ferrite()
                .arg("run")
                .arg(dir)
                .args(["--port", "0"])
                .args(args),
        )
    }

    /// The private directory of the worker sockets, from the log.
    fn socket_dir(&mut self) -> PathBuf {
        let log = self.wait_for_log("worker sockets in");
        log.lines()
            .find_map(|line| line.split("worker sockets in ").nth(1))
            .map(|rest| PathBuf::from(rest.split_whitespace().next().unwrap()))
            .unwrap()
    }

    /// [`http`] to this processor from a thread of its own.
    fn http_in_background(
        &self,
        method: &'static str,
        path: &'static str,
        body: &'static [u8],
    ) -> std::thread::JoinHandle<(u16, Vec<u8>)> {
        let address = self.address.clone();
        std::thread::spawn(move || http(&address, method, path, body))
    }

    fn terminate(&mut self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < until, "ferrite did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One HTTP/1.1 request on its own connection; returns status and body.
fn http(address: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

#[test]
fn conformance_matrix_passes_for_every_installed_runtime() {
    let output = run_to_end(ferrite().arg("conformance"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(output.status.success(), "conformance failed:\n{stdout}");
    assert!(
        !stdout.contains("missing:"),
        "a runtime the set-up installs is missing:\n{stdout}"
    );
}

#[test]
fn malformed_specs_exit_2_naming_the_key() {
    let dir = function(
        "def handler(context, event):\n    return ''\n",
        "  triggers:\n    web:\n      kind: http\n      numWorkers: lots\n",
    );
    let output = run_to_end(ferrite().arg("run").arg(dir.path()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("spec.triggers.web.numWorkers"), "{stderr}");

    let output = run_to_end(ferrite().arg("run").arg("/nonexistent/function.yaml"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/function.yaml")
    );
}

#[test]
fn a_missing_handler_file_exits_2() {
    let dir = function("", "");
    std::fs::remove_file(dir.path().join("main.py")).unwrap();
    let output = run_to_end(ferrite().arg("run").arg(dir.path()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("spec.handler") && stderr.contains("main.py"),
        "{stderr}"
    );
}

#[test]
fn a_missing_interpreter_names_the_command_it_looked_for() {
    let dir = function("def handler(context, event):\n    return ''\n", "");
    let output = run_to_end(
        ferrite()
            .arg("run")
            .arg(dir.path())
            .env("FERRITE_PYTHON", "python-that-is-not-installed"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`python-that-is-not-installed`"),
        "{stderr}"
    );
}

#[test]
fn a_handler_that_cannot_load_stops_run_with_the_reason() {
    let dir = function(
        "import module_that_does_not_exist_anywhere\n\ndef handler(context, event):\n    return ''\n",
        "",
    );
    let started = Instant::now();
    let output = run_to_end(ferrite().arg("run").arg(dir.path()).args(["--port", "0"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("No module named 'module_that_does_not_exist_anywhere'"),
        "{stderr}"
    );
    // It stops instead of restarting forever.
    assert!(started.elapsed() < Duration::from_secs(30));

    let dir = function("def handle(context, event):\n    return ''\n", "");
    let output = run_to_end(ferrite().arg("run").arg(dir.path()).args(["--port", "0"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("handler"), "{stderr}");
}

#[test]
fn sigterm_drains_requests_in_flight_then_removes_the_sockets() {
    let dir = function(
        "import time\n\ndef handler(context, event):\n    context.logger.info('slow-started')\n    time.sleep(1)\n    return 'finished'\n",
        "  minReplicas: 2\n  eventTimeout: 10s\n",
    );
    let mut running = Running::start(dir.path(), &["--log-level", "debug"]);
    let log = running.wait_for_log("worker ready");
    let ignored: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("spec.minReplicas"))
        .collect();
    assert_eq!(
        ignored.len(),
        1,
        "ignored nuclio keys are reported once:\n{log}"
    );
    let socket_dir = running.socket_dir();
    assert!(socket_dir.join("worker-0.sock").exists());

    let (status, body) = http(&running.address, "GET", "/__internal/health", b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"live\":1"));

    let in_flight = running.http_in_background("POST", "/slow", b"x");
    running.wait_for_log("slow-started");
    running.terminate();
    let (status, body) = in_flight.join().unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"finished"[..]));
    assert!(running.wait().success());
    assert!(
        !socket_dir.exists(),
        "{} was left behind",
        socket_dir.display()
    );
}

#[test]
fn oversized_bodies_get_413_and_busy_workers_503() {
    let dir = function(
        "import time\n\ndef handler(context, event):\n    time.sleep(float(event.fields.get('s', '0')))\n    return 'ok'\n",
        "  wire:\n    pipelineDepth: 2\n  triggers:\n    web:\n      kind: http\n      workerAvailabilityTimeoutMilliseconds: 300\n      attributes:\n        maxRequestBodySize: 1000\n",
    );
    let running = Running::start(dir.path(), &[]);
    let (status, _) = http(&running.address, "POST", "/", &[b'x'; 1001]);
    assert_eq!(status, 413);
    let (status, body) = http(&running.address, "POST", "/", &[b'x'; 1000]);
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));

    // One worker takes its pipeline's depth of events (2); the rest wait 300 ms for a slot
    // and are turned away.
    let requests: Vec<_> = (0..5)
        .map(|_| running.http_in_background("GET", "/?s=1.5", b""))
        .collect();
    let statuses: Vec<u16> = requests.into_iter().map(|r| r.join().unwrap().0).collect();
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

#[test]
fn events_go_around_a_worker_held_up_by_a_slow_one() {
    let dir = function(
        "import time\n\ndef handler(context, event):\n    if event.fields.get('slow'):\n        context.logger.info('slow-started')\n        time.sleep(3)\n    return 'ok'\n",
        "  eventTimeout: 30s\n",
    );
    let mut running = Running::start(dir.path(), &["--workers", "2"]);
    let slow = running.http_in_background("GET", "/?slow=1", b"");
    running.wait_for_log("slow-started");
    // Past the ~2 ms a worker's running event may take before the pool stops queueing
    // events behind it.
    std::thread::sleep(Duration::from_millis(100));

    // Four clients at a time, so the free worker is often busy too: none of their events
    // may be queued behind the slow one, which runs for 3 s.
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let address = running.address.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| {
                        let started = Instant::now();
                        assert_eq!(http(&address, "GET", "/", b""), (200, b"ok".to_vec()));
                        started.elapsed()
                    })
                    .max()
                    .unwrap()
            })
        })
        .collect();
    for client in clients {
        let slowest = client.join().unwrap();
        assert!(
            slowest < Duration::from_millis(1500),
            "a request waited {slowest:?}, behind the 3 s one"
        );
    }
    assert_eq!(slow.join().unwrap(), (200, b"ok".to_vec()));
}

#[test]
fn a_stranger_on_the_worker_socket_is_refused_and_the_worker_still_starts() {
    let dir = function(
        "import os\n\ndef handler(context, event):\n    if event.path == '/exit':\n        os._exit(3)\n    return 'ok'\n",
        "",
    );
    let mut running = Running::start(dir.path(), &[]);
    let socket = running.socket_dir().join("worker-0.sock");
    running.wait_for_log("worker ready");
    // Queued on the socket while the wrapper is connected; accepted at the next restart.
    let mut stranger = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    stranger.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();

    let (status, body) = http(&running.address, "GET", "/exit", b"");
    assert_eq!(status, 502, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("exited with status 3"));
    running.wait_for_log("refused a connection");
    let (status, body) = http(&running.address, "GET", "/", b"");
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));
}

#[test]
fn one_nodejs_worker_runs_many_waiting_events_at_once() {
    let dir = node_function(
        "const { setTimeout: sleep } = require('node:timers/promises');\n\
         exports.handler = async () => { await sleep(200); return 'waited'; };\n",
        "",
    );
    let running = Running::start(dir.path(), &["--workers", "1"]);
    assert_eq!(
        http(&running.address, "GET", "/", b""),
        (200, b"waited".to_vec())
    );

    // One event at a time, 50 of them would take 10 s; all at once, about 0.2 s.
    let started = Instant::now();
    let requests: Vec<_> = (0..50)
        .map(|_| running.http_in_background("GET", "/", b""))
        .collect();
    for request in requests {
        assert_eq!(request.join().unwrap(), (200, b"waited".to_vec()));
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1500),
        "50 requests of 200 ms on one worker took {elapsed:?}"
    );
}

#[test]
fn nodejs_handlers_that_throw_reject_or_never_answer() {
    let dir = node_function(
        "exports.handler = (context, event) => {\n\
           switch (event.path) {\n\
             case '/throw': throw new TypeError('thrown at once');\n\
             case '/reject': return Promise.reject(new Error('rejected later'));\n\
             case '/never': return;\n\
             default: context.callback('fine');\n\
           }\n\
         };\n",
        "  eventTimeout: 1s\n",
    );
    let running = Running::start(dir.path(), &[]);
    let (status, body) = http(&running.address, "GET", "/throw", b"");
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (500, "TypeError: thrown at once")
    );
    let (status, body) = http(&running.address, "GET", "/reject", b"");
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (500, "Error: rejected later")
    );
    let started = Instant::now();
    let (status, _) = http(&running.address, "GET", "/never", b"");
    assert_eq!(status, 504);
    assert!(started.elapsed() >= Duration::from_millis(900));
    // The worker was restarted; the next events are answered.
    for _ in 0..3 {
        assert_eq!(
            http(&running.address, "GET", "/", b""),
            (200, b"fine".to_vec())
        );
    }
}

/// A shell function: `script` as `main.sh`.
fn shell_function(script: &str, spec_extra: &str) -> tempfile::TempDir {
    function_of("shell", "main.sh", "main.sh", script, spec_extra)
}

#[test]
fn a_shell_timeout_kills_the_commands_whole_process_group() {
    let dir = shell_function(
        "#!/bin/sh\nsleep 30 &\necho $! > \"$PIDFILE\"\nsleep 30\n",
        "  eventTimeout: 1s\n",
    );
    let pid_file = dir.path().join("child.pid");
    let spec = std::fs::read_to_string(dir.path().join("function.yaml")).unwrap();
    std::fs::write(
        dir.path().join("function.yaml"),
        format!(
            "{spec}  env:\n    - name: PIDFILE\n      value: {}\n",
            pid_file.display()
        ),
    )
    .unwrap();
    let running = Running::start(dir.path(), &[]);
    let (status, body) = http(&running.address, "GET", "/", b"");
    assert_eq!(status, 504, "{}", String::from_utf8_lossy(&body));
    let child: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The background child was in the command's process group, so it died with it.
    let until = Instant::now() + Duration::from_secs(5);
    while nix::sys::signal::kill(nix::unistd::Pid::from_raw(child), None).is_ok() {
        assert!(
            Instant::now() < until,
            "child {child} of the timed-out command survived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn shell_arguments_come_from_the_spec_and_only_if_allowed_from_the_request() {
    let script = "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done\n";
    let request_args = "c; $(touch injected) 'd e'";
    for (allowed, want) in [(false, "a|b|"), (true, "a|b|c;|$(touch|injected)|'d|e'|")] {
        let dir = shell_function(
            script,
            &format!(
                "  runtimeAttributes:\n    arguments: a b\n    allowRequestArguments: {allowed}\n"
            ),
        );
        let running = Running::start(dir.path(), &[]);
        let mut stream = TcpStream::connect(&running.address).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nhost: x\r\nx-ferrite-arguments: {request_args}\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
        assert!(raw.ends_with(want), "allowed={allowed}: {raw}");
        assert!(
            !dir.path().join("injected").exists(),
            "the arguments went through a shell"
        );
    }
}

/// A Java function: `Hello.java` with class `Hello`.
fn java_function(hello_java: &str) -> tempfile::TempDir {
    function_of("java", "Hello", "Hello.java", hello_java, "")
}

#[test]
fn java_sources_compile_once_and_a_compile_error_exits_1_with_javacs_message() {
    // Sources no earlier run has seen, so the first start compiles them.
    let nonce = format!("{:?}", Instant::now());
    let source = format!(
        "// {nonce}\nimport io.ferrite.*;\npublic class Hello implements EventHandler {{\n  public Object handleEvent(Context context, Event event) {{\n    return \"hi \" + event.getFieldString(\"name\");\n  }}\n}}\n"
    );
    let dir = java_function(&source);
    for expected_log in [
        "compiled the function's java sources",
        "java sources unchanged",
    ] {
        let mut running = Running::start(dir.path(), &[]);
        let (status, body) = http(&running.address, "GET", "/?name=java", b"");
        assert_eq!((status, body.as_slice()), (200, b"hi java".as_slice()));
        running.wait_for_log(expected_log);
        running.terminate();
        assert!(running.wait().success());
    }

    std::fs::write(
        dir.path().join("Hello.java"),
        format!("// {nonce}\npublic class Hello {{ int x = ; }}\n"),
    )
    .unwrap();
    let output = run_to_end(ferrite().arg("run").arg(dir.path()).args(["--port", "0"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("javac could not compile"), "{stderr}");
    assert!(stderr.contains("Hello.java:2: error:"), "{stderr}");
}

#[test]
fn an_unbuilt_java_wrapper_exits_2_saying_how_to_build_it() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("wrappers/java")).unwrap();
    let dir = java_function("public class Hello {}\n");
    let output = run_to_end(
        ferrite()
            .env("FERRITE_HOME", home.path())
            .arg("run")
            .arg(dir.path())
            .args(["--port", "0"]),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("mvn -q package -DskipTests"), "{stderr}");
}

#[test]
fn a_sigkilled_processors_shm_directory_is_removed_by_the_next_run() {
    let dir = function("def handler(context, event):\n    return 'ok'\n", "");
    let mut first = Running::start(dir.path(), &["--transport", "shm"]);
    first.wait_for_log("worker ready");
    let killed_dir = first.socket_dir();
    assert!(
        killed_dir.starts_with("/dev/shm"),
        "{}",
        killed_dir.display()
    );
    // The segment's name went once the wrapper attached; the doorbell socket stays.
    let names: Vec<_> = std::fs::read_dir(&killed_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["worker-0.sock"]);
    assert_eq!(http(&first.address, "GET", "/", b"").0, 200);
    first.child.kill().unwrap(); // SIGKILL: it removes nothing
    first.child.wait().unwrap();
    assert!(killed_dir.is_dir());

    let mut second = Running::start(dir.path(), &["--transport", "shm"]);
    second.wait_for_log("worker ready");
    assert!(
        !killed_dir.exists(),
        "{} was left behind",
        killed_dir.display()
    );
    let own_dir = second.socket_dir();
    assert_eq!(http(&second.address, "GET", "/", b"").0, 200);
    second.terminate();
    assert!(second.wait().success());
    assert!(!own_dir.exists(), "{} was left behind", own_dir.display());
}
