//! CPython: `python3 wrappers/python/wrapper.py`, with the SDK a handler imports
//! (`sdk-python/src`) and the wrapper's own package (`wrappers/python`) on `PYTHONPATH`.
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

/// The Python wrapper under `program`, any Python 3 interpreter: `wrapper.py`, with the
/// SDK's and the wrapper's directories put before any `PYTHONPATH` ferrite was given.
pub(super) fn launch_wrapper(home: &Path, program: PathBuf) -> Result<Launch, LaunchError> {
    let wrapper_dir = home.join("wrappers/python");
    let wrapper = wrapper_dir.join("wrapper.py");
    let sdk = home.join("sdk-python/src");
    for path in [&wrapper, &wrapper_dir.join("ferrite_wrapper"), &sdk] {
        if !path.exists() {
            return Err(LaunchError::MissingFiles {
                what: path.display().to_string(),
                looked: home.display().to_string(),
            });
        }
    }
    let mut python_path = OsString::from(sdk.as_os_str());
    python_path.push(":");
    python_path.push(wrapper_dir.as_os_str());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::function_dir;

    const WRAPPER: (&str, &str) = ("wrappers/python/wrapper.py", "");
    const PACKAGE: (&str, &str) = ("wrappers/python/ferrite_wrapper/__init__.py", "");
    const SDK: (&str, &str) = ("sdk-python/src/ferrite_sdk/__init__.py", "");

    #[test]
    fn the_sdk_and_the_wrapper_package_come_first_on_the_python_path() {
        let home = function_dir(&[WRAPPER, PACKAGE, SDK]);
        let launch = launch_wrapper(home.path(), "python3".into()).unwrap();
        let wrapper = home.path().join("wrappers/python/wrapper.py");
        assert_eq!(launch.args, [wrapper.into_os_string()]);
        let (_, python_path) = launch
            .env
            .iter()
            .find(|(name, _)| name == "PYTHONPATH")
            .unwrap();
        let expected = format!(
            "{}:{}",
            home.path().join("sdk-python/src").display(),
            home.path().join("wrappers/python").display()
        );
        // Whatever PYTHONPATH this test runs with comes after them.
        assert!(
            python_path.to_str().unwrap().starts_with(&expected),
            "{python_path:?}"
        );
    }

    #[test]
    fn each_missing_part_is_named() {
        for (files, missing) in [
            (vec![PACKAGE, SDK], "wrappers/python/wrapper.py"),
            (vec![WRAPPER, SDK], "wrappers/python/ferrite_wrapper"),
            (vec![WRAPPER, PACKAGE], "sdk-python/src"),
        ] {
            let home = function_dir(&files);
            let err = launch_wrapper(home.path(), "python3".into()).unwrap_err();
            let LaunchError::MissingFiles { what, looked } = &err else {
                panic!("{err}");
            };
            assert_eq!(what, &home.path().join(missing).display().to_string());
            assert_eq!(looked, &home.path().display().to_string());
            assert!(err.to_string().contains("set FERRITE_HOME"), "{err}");
        }
    }
}
