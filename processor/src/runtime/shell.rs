//! Shell: every event runs a command (a script or executable in the function directory, or
//! a command on PATH), with no wrapper. The event's body is its stdin, its stdout the
//! response body; see `pool/command.rs` for the rest of the convention.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{find_on_path, is_executable, Launch, LaunchError};
use crate::spec::Function;

/// The command's file or name: nuclio writes `script.sh:main`; the part after `:` means
/// nothing to a shell command and is ignored.
fn command_name(handler: &str) -> &str {
    handler.split(':').next().unwrap_or_default().trim()
}

/// The handler names an executable file in `dir`, or a command on PATH.
pub(super) fn check_handler(handler: &str, dir: &Path) -> Result<(), String> {
    resolve(handler, dir).map(|_| ())
}

fn resolve(handler: &str, dir: &Path) -> Result<PathBuf, String> {
    let name = command_name(handler);
    if name.is_empty() {
        return Err("names no command (e.g. main.sh, or cat)".into());
    }
    let local = dir.join(name);
    if local.is_file() {
        return if is_executable(&local) {
            Ok(local)
        } else {
            Err(format!(
                "{} is not executable (chmod +x it, and give it a #! line)",
                local.display()
            ))
        };
    }
    if name.contains('/') {
        return Err(format!("{} does not exist", local.display()));
    }
    find_on_path(name).ok_or_else(|| {
        format!(
            "{name:?} is neither a file in {} nor a command on PATH",
            dir.display()
        )
    })
}

/// What runs for each event of `function`: its command and the spec's fixed arguments.
pub(super) fn launch(function: &Function) -> Result<Launch, LaunchError> {
    let program =
        resolve(&function.handler, &function.dir).map_err(|_| LaunchError::MissingCommand {
            runtime: "shell",
            command: command_name(&function.handler).to_owned(),
            hint: "spec.handler names a file in the function directory or a command on PATH",
        })?;
    Ok(Launch {
        program,
        args: function
            .shell
            .arguments
            .iter()
            .map(OsString::from)
            .collect(),
        env: Vec::new(),
    })
}

/// The shell runtime needs no interpreter of its own; `sh` stands for "commands can run".
pub(super) fn check_installed() -> Result<Launch, LaunchError> {
    let program = find_on_path("sh").ok_or(LaunchError::MissingCommand {
        runtime: "shell",
        command: "sh".into(),
        hint: "install a POSIX shell",
    })?;
    Ok(Launch {
        program,
        args: Vec::new(),
        env: Vec::new(),
    })
}
