//! Node.js: `node wrappers/node/wrapper.js`. `FERRITE_NODE` names another `node`.
//!
//! The wrapper (`wrappers/node`) requires the SDK by its path relative to itself
//! (`../../sdk-node`), so nothing is put on `NODE_PATH` (which ESM handlers would not see
//! anyway, and which would let ferrite's own dependencies shadow the handler's); the
//! wrapper finds `@msgpack/msgpack` in `wrappers/node/node_modules`, installed by
//! `scripts/install-deps` (`npm ci`). The SDK has no dependencies of its own.

use std::path::{Path, PathBuf};

use super::{interpreter, Launch, LaunchError};

/// The extensions a handler file may have, in the order a bare name is completed.
const EXTENSIONS: [&str; 3] = ["js", "mjs", "cjs"];

/// `file:export`, nuclio's form: `handler:handler` is export `handler` of `handler.js`
/// (or `.mjs`, `.cjs`) in `dir`. `file` may carry its extension and a relative directory;
/// `export` may be dotted (`handlers.main`).
pub(super) fn check_handler(handler: &str, dir: &Path) -> Result<(), String> {
    let Some((file, export)) = handler.rsplit_once(':') else {
        return Err(format!(
            "{handler:?} is not of the form file:export (e.g. handler:handler)"
        ));
    };
    let identifier = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if !export.split('.').all(identifier) {
        return Err(format!(
            "{handler:?} is not of the form file:export with a JavaScript name after the colon"
        ));
    }
    let relative = Path::new(file);
    if file.is_empty()
        || relative.is_absolute()
        || relative
            .components()
            .any(|part| matches!(part, std::path::Component::ParentDir))
    {
        return Err(format!(
            "{handler:?}: the file must be a path inside the function directory, e.g. handler:handler"
        ));
    }
    let has_extension = relative
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| EXTENSIONS.contains(&ext));
    let candidates: Vec<_> = if has_extension {
        vec![dir.join(relative)]
    } else {
        EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("{file}.{ext}")))
            .collect()
    };
    if candidates.iter().any(|path| path.is_file()) {
        return Ok(());
    }
    if let [only] = candidates.as_slice() {
        return Err(format!(
            "handler file {file:?} not found: {} does not exist",
            only.display()
        ));
    }
    let names: Vec<String> = candidates
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let parent = dir.join(file);
    let parent = parent.parent().unwrap_or(dir);
    Err(format!(
        "handler file {file:?} not found: none of {} exists in {}",
        names.join(", "),
        parent.display()
    ))
}

pub(super) fn launch(home: &Path) -> Result<Launch, LaunchError> {
    let program = interpreter(
        "nodejs",
        "FERRITE_NODE",
        "node",
        "install Node.js 18 or newer, e.g. with scripts/install-deps, or set FERRITE_NODE to a node binary",
    )?;
    let wrapper = wrapper_files(home)?;
    Ok(Launch {
        program,
        args: vec![wrapper.into_os_string()],
        env: Vec::new(),
    })
}

/// `wrappers/node/wrapper.js`, once the files it needs are there: its own sources, its
/// dependencies, and the SDK. Each missing part is named, with how to get it.
fn wrapper_files(home: &Path) -> Result<PathBuf, LaunchError> {
    let wrapper = home.join("wrappers/node/wrapper.js");
    let worker = home.join("wrappers/node/src/worker.js");
    let msgpack = home.join("wrappers/node/node_modules/@msgpack/msgpack/package.json");
    let sdk = home.join("sdk-node/src/index.js");
    for (path, what) in [
        (&wrapper, wrapper.display().to_string()),
        (&worker, worker.display().to_string()),
        (
            &msgpack,
            format!(
                "{} (the Node.js wrapper's dependencies: run `npm ci` in wrappers/node, or scripts/install-deps)",
                msgpack.display()
            ),
        ),
        (&sdk, sdk.display().to_string()),
    ] {
        if !path.is_file() {
            return Err(LaunchError::MissingFiles {
                what,
                looked: home.display().to_string(),
            });
        }
    }
    Ok(wrapper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_name_a_file_and_an_export() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("handler.js"), "").unwrap();
        std::fs::write(dir.path().join("esm.mjs"), "").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/main.cjs"), "").unwrap();
        for ok in [
            "handler:handler",
            "handler.js:handler",
            "esm:handler",
            "esm.mjs:default",
            "lib/main:handlers.main",
            "lib/main.cjs:$run",
        ] {
            assert_eq!(check_handler(ok, dir.path()), Ok(()), "{ok}");
        }
        for (bad, needle) in [
            ("handler", "not of the form file:export"),
            ("handler:", "JavaScript name"),
            ("handler:1st", "JavaScript name"),
            ("handler:a-b", "JavaScript name"),
            (":handler", "inside the function directory"),
            ("../handler:handler", "inside the function directory"),
            ("/etc/handler:handler", "inside the function directory"),
            (
                "missing:handler",
                "none of missing.js, missing.mjs, missing.cjs exists in",
            ),
            ("handler.mjs:handler", "handler.mjs does not exist"),
        ] {
            let err = check_handler(bad, dir.path()).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn each_missing_part_of_the_wrapper_is_named() {
        const FILES: [&str; 4] = [
            "wrappers/node/wrapper.js",
            "wrappers/node/src/worker.js",
            "wrappers/node/node_modules/@msgpack/msgpack/package.json",
            "sdk-node/src/index.js",
        ];
        let home = tempfile::tempdir().unwrap();
        let create = |file: &str| {
            let path = home.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        // Each part in turn is the first one missing.
        for missing in FILES {
            let err = wrapper_files(home.path()).unwrap_err();
            let LaunchError::MissingFiles { what, looked } = &err else {
                panic!("{err}");
            };
            let path = home.path().join(missing).display().to_string();
            assert!(what.starts_with(&path), "{what}");
            assert_eq!(looked, &home.path().display().to_string());
            if missing.contains("node_modules") {
                assert!(what.contains("run `npm ci` in wrappers/node"), "{what}");
            }
            create(missing);
        }
        assert_eq!(
            wrapper_files(home.path()).unwrap(),
            home.path().join(FILES[0])
        );
    }
}
