//! CPython: `python3 wrappers/python/wrapper.py`, with `sdk-python/src` on `PYTHONPATH`.
//! `FERRITE_PYTHON` names another interpreter (a virtualenv's, say).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{interpreter, Launch, LaunchError};

/// `module:function`, where `module` (dotted) is a `.py` file or a package in `dir`.
pub(super) fn check_handler(handler: &str, dir: &Path) -> Result<(), String> {
    let Some((module, function)) = handler.split_once(':') else {
        return Err(format!(
            "{handler:?} is not of the form module:function (e.g. main:handler)"
        ));
    };
    let valid = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    if !module.split('.').all(valid) || !valid(function) {
        return Err(format!(
            "{handler:?} is not of the form module:function with Python identifiers"
        ));
    }
    let relative = module.replace('.', "/");
    let file = dir.join(format!("{relative}.py"));
    let package = dir.join(&relative).join("__init__.py");
    if file.is_file() || package.is_file() {
        Ok(())
    } else {
        Err(format!(
            "handler module {module:?} not found: neither {} nor {} exists",
            file.display(),
            package.display()
        ))
    }
}

pub(super) fn launch(home: &Path) -> Result<Launch, LaunchError> {
    let program = interpreter(
        "python",
        "FERRITE_PYTHON",
        "python3",
        "install python3, or set FERRITE_PYTHON to an interpreter",
    )?;
    launch_wrapper(home, program)
}

/// The Python wrapper under `program`, any Python 3 interpreter.
pub(super) fn launch_wrapper(home: &Path, program: PathBuf) -> Result<Launch, LaunchError> {
    let wrapper = home.join("wrappers/python/wrapper.py");
    let sdk = home.join("sdk-python/src");
    for path in [&wrapper, &sdk] {
        if !path.exists() {
            return Err(LaunchError::MissingFiles {
                what: path.display().to_string(),
                looked: home.display().to_string(),
            });
        }
    }
    let mut python_path = OsString::from(sdk.as_os_str());
    if let Some(existing) = std::env::var_os("PYTHONPATH") {
        python_path.push(":");
        python_path.push(existing);
    }
    Ok(Launch {
        program,
        args: vec![wrapper.into_os_string()],
        env: vec![
            ("PYTHONPATH".into(), python_path),
            // Handler prints should reach the processor's log as they happen.
            ("PYTHONUNBUFFERED".into(), "1".into()),
        ],
    })
}
