//! PyPy 3: the Python wrapper and SDK, unchanged, under `pypy3`.
//!
//! The interpreter is `FERRITE_PYPY` if set, else the virtualenv `scripts/install-deps`
//! makes in `.ferrite-cache/pypy` under ferrite's home (Debian's pypy3 has no msgpack; the
//! venv holds it), else `pypy3` on PATH.

use std::path::Path;

use super::{find_on_path, python, Launch, LaunchError};

/// Where `scripts/install-deps` puts PyPy's virtualenv, under ferrite's home.
const VENV: &str = ".ferrite-cache/pypy";

pub(super) fn launch(home: &Path) -> Result<Launch, LaunchError> {
    let venv = home.join(VENV).join("bin/pypy3");
    let program = match std::env::var("FERRITE_PYPY") {
        Ok(command) => find_on_path(&command),
        Err(_) => Some(venv)
            .filter(|venv| venv.is_file())
            .or_else(|| find_on_path("pypy3")),
    }
    .ok_or(LaunchError::MissingCommand {
        runtime: "pypy",
        command: std::env::var("FERRITE_PYPY").unwrap_or_else(|_| "pypy3".into()),
        hint: "install pypy3 (scripts/install-deps does), or set FERRITE_PYPY",
    })?;
    let mut launch = python::launch_wrapper(home, program)?;
    // PyPy sizes its young generation to the CPU's cache (1 MB here), so events with large
    // bodies trigger a collection every few events: an echo of 64 KiB bodies ran at ~3200
    // requests/s with the default and ~8300 with 16 MB (wrapper CPU per event 276 µs →
    // 88 µs). A nursery size set by the user (in ferrite's environment or the spec's env)
    // wins.
    if std::env::var_os(NURSERY).is_none() {
        launch.env.push((NURSERY.into(), NURSERY_SIZE.into()));
    }
    Ok(launch)
}

/// PyPy's young-generation size setting, and ferrite's default for it.
const NURSERY: &str = "PYPY_GC_NURSERY";
const NURSERY_SIZE: &str = "16MB";
