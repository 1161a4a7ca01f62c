//! Runtimes: how to launch each language's wrapper. A runtime is not a trait object: it
//! is a closed set chosen from `spec.runtime`, each one file and one arm of the matches
//! here. The wrapper it launches then speaks the protocol like any other. The runtimes
//! that compile a function's sources before its workers start (Java, .NET) share
//! `compile.rs`: finding the code, and a cache of builds keyed by a hash of their inputs.

mod compile;
mod dotnet;
mod java;
mod node;
mod pypy;
mod python;
mod shell;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A language runtime ferrite can run handlers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// CPython 3, `wrappers/python`.
    Python,
    /// PyPy 3 running the same wrapper and SDK as CPython.
    PyPy,
    /// Node.js, `wrappers/node`: one process runs many events at once.
    Node,
    /// Java 17 or newer, `wrappers/java` (built with Maven from `sdk-java/`).
    Java,
    /// .NET on Mono, `wrappers/dotnet` (built with `mcs` with `sdk-dotnet/`).
    DotNet,
    /// No wrapper: each event runs a command (`pool/command.rs`).
    Shell,
}

impl Runtime {
    /// Whether workers are long-lived wrapper processes speaking the protocol (all but
    /// shell, whose events each run a command of their own).
    pub fn runs_wrappers(self) -> bool {
        !matches!(self, Runtime::Shell)
    }
}

/// nuclio runtimes this build does not run yet; named so their error says "not yet"
/// rather than "unknown".
const NOT_YET: &[&str] = &["golang", "ruby"];

impl FromStr for Runtime {
    type Err = String;

    /// Accepts nuclio's names, with or without a `:version` suffix (`python:3.11`).
    fn from_str(text: &str) -> Result<Self, String> {
        let base = text.split(':').next().unwrap_or_default().trim();
        match base {
            "python" | "python3" => Ok(Runtime::Python),
            "pypy" | "pypy3" => Ok(Runtime::PyPy),
            "nodejs" => Ok(Runtime::Node),
            "java" => Ok(Runtime::Java),
            "dotnet" | "dotnetcore" => Ok(Runtime::DotNet),
            "shell" => Ok(Runtime::Shell),
            other if NOT_YET.contains(&other) => Err(format!(
                "runtime {text:?} is not supported by this ferrite yet (supported: {})",
                Runtime::NAMES.join(", ")
            )),
            _ => Err(format!(
                "unknown runtime {text:?}; expected one of: {}",
                Runtime::NAMES.join(", ")
            )),
        }
    }
}

/// How to start one wrapper process.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The interpreter or executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Environment the runtime needs (before the spec's own `env`).
    pub env: Vec<(String, OsString)>,
}

/// Why a runtime cannot be launched on this machine.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The interpreter is not installed.
    #[error("runtime {runtime} needs the `{command}` command, which is not on PATH ({hint})")]
    MissingCommand {
        /// Runtime name.
        runtime: &'static str,
        /// What was looked for.
        command: String,
        /// How to get it.
        hint: &'static str,
    },
    /// ferrite's own wrapper files are missing.
    #[error("cannot find ferrite's {what} (looked in {looked}); set FERRITE_HOME to the directory holding wrappers/ and the SDKs")]
    MissingFiles {
        /// The file looked for.
        what: String,
        /// Where.
        looked: String,
    },
    /// A wrapper that must be built (the Java jar) has not been.
    #[error("ferrite's {what} is not built; build it with `{how}` (scripts/install-deps does)")]
    NotBuilt {
        /// What is missing.
        what: String,
        /// The command that builds it, from ferrite's home.
        how: &'static str,
    },
}

/// Why a function's code could not be made ready to run, before any worker starts.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A tool it needs is missing (the Java compiler, say).
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The code does not build: the compiler's messages.
    #[error("{0}")]
    Build(String),
}

impl Runtime {
    /// Names accepted in `spec.runtime`.
    pub const NAMES: &'static [&'static str] =
        &["python", "pypy", "nodejs", "java", "dotnet", "shell"];

    /// Every runtime this build has.
    pub const ALL: [Runtime; 6] = [
        Runtime::Python,
        Runtime::PyPy,
        Runtime::Node,
        Runtime::Java,
        Runtime::DotNet,
        Runtime::Shell,
    ];

    /// The runtime's name.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Python => "python",
            Runtime::PyPy => "pypy",
            Runtime::Node => "nodejs",
            Runtime::Java => "java",
            Runtime::DotNet => "dotnet",
            Runtime::Shell => "shell",
        }
    }

    /// The conformance suite's function for this runtime (`tests/conformance/functions/`):
    /// runtimes that share a language share its function.
    pub fn conformance_function(self) -> &'static str {
        match self {
            Runtime::Python | Runtime::PyPy => "python",
            Runtime::Node => "nodejs",
            Runtime::Java => "java",
            Runtime::DotNet => "dotnet",
            Runtime::Shell => "shell",
        }
    }

    /// How many events one worker runs at once unless `spec.wire.concurrency` says
    /// otherwise: 1 for runtimes that run events in order, more for asynchronous ones.
    pub fn default_concurrency(self) -> u32 {
        match self {
            // Java: a nuclio handler object need not be thread-safe, so one event at a time,
            // pipelined; `spec.wire.concurrency` above 1 runs a thread pool.
            // .NET: one event at a time, like Java.
            Runtime::Python | Runtime::PyPy | Runtime::Java | Runtime::DotNet | Runtime::Shell => 1,
            Runtime::Node => 64,
        }
    }

    /// Checks that `handler` has this runtime's form and that its code is in `dir`.
    pub fn check_handler(self, handler: &str, dir: &Path) -> Result<(), String> {
        match self {
            Runtime::Python | Runtime::PyPy => python::check_handler(handler, dir),
            Runtime::Node => node::check_handler(handler, dir),
            Runtime::Java => java::check_handler(handler, dir),
            Runtime::DotNet => dotnet::check_handler(handler, dir),
            Runtime::Shell => shell::check_handler(handler, dir),
        }
    }

    /// How to start this runtime's wrapper, with ferrite's files found under `home`.
    pub fn launch(self, home: &Path) -> Result<Launch, LaunchError> {
        match self {
            Runtime::Python => python::launch(home),
            Runtime::PyPy => pypy::launch(home),
            Runtime::Node => node::launch(home),
            Runtime::Java => java::launch(home),
            Runtime::DotNet => dotnet::launch(home),
            Runtime::Shell => shell::check_installed(),
        }
    }

    /// Makes the function in `dir` ready to run and completes `launch` for it, once, before
    /// any worker starts: Java compiles its sources (cached) and sets the classpath; .NET
    /// compiles its C# sources (cached) and names the function's assemblies.
    /// Blocking: it may run a compiler.
    pub fn prepare(self, launch: Launch, home: &Path, dir: &Path) -> Result<Launch, PrepareError> {
        match self {
            Runtime::Python | Runtime::PyPy | Runtime::Node => Ok(launch),
            Runtime::Shell => Ok(launch),
            Runtime::Java => java::prepare(launch, home, dir),
            Runtime::DotNet => dotnet::prepare(launch, home, dir),
        }
    }
}

/// What the shell runtime runs for each event of `function`: its command and the spec's
/// fixed arguments.
pub fn shell_command(function: &crate::spec::Function) -> Result<Launch, LaunchError> {
    shell::launch(function)
}

/// Where ferrite's wrappers and SDKs are: `$FERRITE_HOME`, else the nearest ancestor of the
/// running executable that holds `wrappers/` (so a build in `target/release` finds the
/// checkout it came from), else `/usr/share/ferrite`.
pub fn locate_home() -> Result<PathBuf, LaunchError> {
    if let Some(home) = std::env::var_os("FERRITE_HOME") {
        let home = PathBuf::from(home);
        return if home.join("wrappers").is_dir() {
            Ok(home)
        } else {
            Err(LaunchError::MissingFiles {
                what: "wrappers directory".into(),
                looked: format!("FERRITE_HOME={}", home.display()),
            })
        };
    }
    let exe = std::env::current_exe().ok();
    let ancestors = exe.iter().flat_map(|exe| exe.ancestors().skip(1));
    let candidates: Vec<PathBuf> = ancestors
        .map(Path::to_path_buf)
        .chain(std::iter::once(PathBuf::from("/usr/share/ferrite")))
        .collect();
    candidates
        .iter()
        .find(|dir| dir.join("wrappers").is_dir())
        .cloned()
        .ok_or_else(|| LaunchError::MissingFiles {
            what: "wrappers directory".into(),
            looked: candidates
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The interpreter the environment variable `variable` names, else `default`, found on
/// PATH; its absence is reported with `hint`.
fn interpreter(
    runtime: &'static str,
    variable: &str,
    default: &str,
    hint: &'static str,
) -> Result<PathBuf, LaunchError> {
    let command = std::env::var(variable).unwrap_or_else(|_| default.into());
    find_on_path(&command).ok_or(LaunchError::MissingCommand {
        runtime,
        command,
        hint,
    })
}

/// Finds `command` on PATH, as a shell would.
pub(crate) fn find_on_path(command: &str) -> Option<PathBuf> {
    if command.contains('/') {
        let path = PathBuf::from(command);
        return path.is_file().then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(command))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// What the runtimes' tests share.
#[cfg(test)]
pub(crate) mod test_support {
    /// A function directory holding `files` (relative path, text), made for one test.
    pub(crate) fn function_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }
}
