//! .NET: `mono wrappers/dotnet/bin/ferrite-wrapper.exe <the function's assemblies>`.
//!
//! `spec.handler` names a class (`Namespace.Class`, whose method is `Handle`) or a class and
//! a method (`Namespace.Class:Method`, nuclio's form), the method being
//! `object Method(Context, Event)`. The function directory holds `.cs` sources (anywhere
//! below it), built assemblies (`.dll`, in it or in its `lib/`), or both. Before any worker
//! starts, [`prepare`] compiles the sources with `mcs` against the SDK and the assemblies,
//! once: the assembly is cached under a hash of everything that went into it
//! (`$XDG_CACHE_HOME/ferrite/dotnet/function-HASH.dll`), so a second start does not
//! recompile.
//!
//! The wrapper and SDK (`wrappers/dotnet/bin/`) are built by `wrappers/dotnet/build.sh`,
//! which `scripts/install-deps` runs. `FERRITE_MONO` and `FERRITE_MCS` name another `mono`
//! and `mcs`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::compile::{file_stamp, runtime_cache, Compilation, Fnv128, FunctionCode};
use super::{interpreter, Launch, LaunchError, PrepareError};

/// The wrapper, relative to ferrite's home.
const WRAPPER_EXE: &str = "wrappers/dotnet/bin/ferrite-wrapper.exe";
/// The SDK assembly handlers compile against, relative to ferrite's home.
const SDK_DLL: &str = "wrappers/dotnet/bin/Ferrite.Sdk.dll";
/// How to build both.
const BUILD_WRAPPER: &str = "bash wrappers/dotnet/build.sh";
/// Directories never searched for sources: `dotnet build`'s output holds generated `.cs`.
const SKIPPED_DIRS: [&str; 2] = ["bin", "obj"];

/// `Namespace.Class` or `Namespace.Class:Method`, with its code in `dir`.
pub(super) fn check_handler(handler: &str, dir: &Path) -> Result<(), String> {
    let identifier = |name: &str| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    let (class, method) = match handler.split_once(':') {
        Some((class, method)) => (class, Some(method)),
        None => (handler, None),
    };
    // `+` separates a nested class from its outer one, as in the CLR's type names.
    let class_ok = !class.is_empty() && class.split(['.', '+']).all(identifier);
    if !class_ok || method.is_some_and(|method| !identifier(method)) {
        return Err(format!(
            "{handler:?} is not a .NET class name, optionally with :Method; for dotnet it names \
             the class whose public method Handle(Context, Event) handles events, e.g. \
             Example.Hello or Example.Hello:Handle"
        ));
    }
    let code = FunctionCode::find(dir, "cs", "dll", &SKIPPED_DIRS)?;
    if code.sources.is_empty() && code.libraries.is_empty() {
        return Err(format!(
            "no .cs sources or .dll assemblies in {} for handler class {class}",
            dir.display()
        ));
    }
    Ok(())
}

/// `mono` and the wrapper; the function's assemblies are added by [`prepare`].
pub(super) fn launch(home: &Path) -> Result<Launch, LaunchError> {
    let program = mono()?;
    let wrapper = built(home, WRAPPER_EXE, "wrapper")?;
    Ok(Launch {
        program,
        args: vec![wrapper.into_os_string()],
        env: Vec::new(),
    })
}

/// Compiles the function's sources (unless cached) and returns the launch with the
/// function's assemblies after the wrapper.
pub(super) fn prepare(launch: Launch, home: &Path, dir: &Path) -> Result<Launch, PrepareError> {
    let sdk = built(home, SDK_DLL, "SDK")?;
    let code = FunctionCode::find(dir, "cs", "dll", &SKIPPED_DIRS).map_err(PrepareError::Build)?;
    let mut args = launch.args;
    if !code.sources.is_empty() {
        let cache = runtime_cache("dotnet")?;
        args.push(compile(&code, &sdk, &cache)?.into_os_string());
    }
    args.extend(
        code.libraries
            .iter()
            .map(|dll| dll.clone().into_os_string()),
    );
    Ok(Launch {
        program: launch.program,
        args,
        env: launch.env,
    })
}

fn mono() -> Result<PathBuf, LaunchError> {
    interpreter(
        "dotnet",
        "FERRITE_MONO",
        "mono",
        "install Mono (apt-get install mono-devel), or set FERRITE_MONO",
    )
}

fn mcs() -> Result<PathBuf, LaunchError> {
    interpreter(
        "dotnet",
        "FERRITE_MCS",
        "mcs",
        "install Mono's C# compiler (apt-get install mono-devel), or set FERRITE_MCS",
    )
}

fn built(home: &Path, relative: &str, what: &str) -> Result<PathBuf, LaunchError> {
    let path = home.join(relative);
    if path.is_file() {
        Ok(path)
    } else {
        Err(LaunchError::NotBuilt {
            what: format!(".NET {what} {}", path.display()),
            how: BUILD_WRAPPER,
        })
    }
}

/// The compiled assembly of `code`, from the cache or from mcs.
fn compile(code: &FunctionCode, sdk: &Path, cache: &Path) -> Result<PathBuf, PrepareError> {
    let mcs = mcs()?;
    let mut key = Fnv128::new();
    key.field(b"ferrite dotnet assembly v1");
    let real_mcs = std::fs::canonicalize(&mcs).unwrap_or_else(|_| mcs.clone());
    key.field(real_mcs.as_os_str().as_encoded_bytes());
    key.field(file_stamp(&real_mcs).as_bytes());
    key.field(file_stamp(sdk).as_bytes());
    let assembly = Compilation {
        language: "C#",
        cache,
        prefix: "function-",
        suffix: ".dll",
    };
    assembly.run(code, key, |_, output_file| {
        let mut command = Command::new(&mcs);
        command
            .args(mcs_args(output_file, sdk, &code.libraries))
            .args(&code.sources)
            .stdin(Stdio::null());
        Ok(command)
    })
}

/// mcs's options: a library, against the SDK, Newtonsoft.Json (which the SDK uses) and the
/// function's own assemblies.
fn mcs_args(output: &Path, sdk: &Path, assemblies: &[PathBuf]) -> Vec<OsString> {
    let reference = |path: &Path| {
        let mut option = OsString::from("-r:");
        option.push(path);
        option
    };
    let mut out = OsString::from("-out:");
    out.push(output);
    let mut args = vec![
        OsString::from("-target:library"),
        OsString::from("-optimize+"),
        OsString::from("-nologo"),
        out,
        reference(sdk),
    ];
    // The wrapper's build copies Newtonsoft.Json beside the SDK.
    let json = sdk.with_file_name("Newtonsoft.Json.dll");
    if json.is_file() {
        args.push(reference(&json));
    }
    args.extend(assemblies.iter().map(|dll| reference(dll)));
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::function_dir;

    #[test]
    fn handler_is_a_class_optionally_with_a_method() {
        let dir = function_dir(&[("Hello.cs", "class Hello {}")]);
        for good in [
            "Hello",
            "Example.Hello",
            "Example.Hello:Handle",
            "Outer+Inner:Run",
        ] {
            assert!(check_handler(good, dir.path()).is_ok(), "{good}");
        }
        for bad in [
            "",
            "main:handler:x",
            "Example..Hello",
            "1Hello",
            "Hello:",
            "Hello:1x",
            ":Handle",
        ] {
            let err = check_handler(bad, dir.path()).unwrap_err();
            assert!(err.contains("not a .NET class name"), "{bad}: {err}");
        }
    }

    #[test]
    fn code_must_be_there() {
        let dir = function_dir(&[("lib/app.dll", "")]);
        assert!(check_handler("Example.Anything", dir.path()).is_ok());
        let empty = function_dir(&[("README.md", ""), ("obj/Generated.cs", "")]);
        let err = check_handler("Hello", empty.path()).unwrap_err();
        assert!(err.contains("no .cs sources or .dll assemblies"), "{err}");
    }

    #[test]
    fn build_output_is_not_searched_for_sources() {
        let dir = function_dir(&[
            ("A.cs", ""),
            ("bin/Debug/D.cs", ""),
            ("obj/E.cs", ""),
            ("lib/dep.dll", ""),
        ]);
        let code = FunctionCode::find(dir.path(), "cs", "dll", &SKIPPED_DIRS).unwrap();
        assert_eq!(code.sources, [dir.path().join("A.cs")]);
        assert_eq!(code.libraries, [dir.path().join("lib/dep.dll")]);
    }

    #[test]
    fn mcs_builds_a_library_against_the_sdk_and_the_function_assemblies() {
        let args = mcs_args(
            Path::new("/cache/function-1.dll"),
            Path::new("/nowhere/Ferrite.Sdk.dll"),
            &[PathBuf::from("/f/lib/dep.dll")],
        );
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-target:library",
                "-optimize+",
                "-nologo",
                "-out:/cache/function-1.dll",
                "-r:/nowhere/Ferrite.Sdk.dll",
                "-r:/f/lib/dep.dll",
            ]
        );
    }
}
