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
use std::time::Instant;

use super::java::{cache_dir, file_stamp, install_compiled, touch, Fnv128, FunctionCode};
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
    let code = FunctionCode::find(dir, "cs", "dll", &SKIPPED_DIRS)
        .map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
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
    let code = FunctionCode::find(dir, "cs", "dll", &SKIPPED_DIRS)
        .map_err(|err| PrepareError::Build(format!("cannot read {}: {err}", dir.display())))?;
    let mut args = launch.args;
    if !code.sources.is_empty() {
        let cache = cache_dir().join("dotnet");
        std::fs::create_dir_all(&cache).map_err(|err| {
            PrepareError::Build(format!(
                "cannot create the cache directory {}: {err}",
                cache.display()
            ))
        })?;
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
    let mut hash = Fnv128::new();
    hash.field(b"ferrite dotnet assembly v1");
    let real_mcs = std::fs::canonicalize(&mcs).unwrap_or_else(|_| mcs.clone());
    hash.field(real_mcs.as_os_str().as_encoded_bytes());
    hash.field(file_stamp(&real_mcs).as_bytes());
    hash.field(file_stamp(sdk).as_bytes());
    for dll in &code.libraries {
        hash.field(dll.as_os_str().as_encoded_bytes());
        hash.field(file_stamp(dll).as_bytes());
    }
    for source in &code.sources {
        let text = std::fs::read(source).map_err(|err| {
            PrepareError::Build(format!("cannot read {}: {err}", source.display()))
        })?;
        hash.field(source.as_os_str().as_encoded_bytes());
        hash.field(&text);
    }
    let name = format!("function-{}.dll", hash.hex());
    let assembly = cache.join(&name);
    if assembly.is_file() {
        touch(&assembly);
        tracing::info!(assembly = %assembly.display(), "C# sources unchanged; using the assembly compiled before");
        return Ok(assembly);
    }

    let work = tempfile::Builder::new()
        .prefix(".compile-")
        .tempdir_in(cache)
        .map_err(|err| {
            PrepareError::Build(format!(
                "cannot make a directory in {}: {err}",
                cache.display()
            ))
        })?;
    // The assembly's name comes from its file's, so it is compiled under its final name.
    let output_file = work.path().join(&name);
    let mut command = Command::new(&mcs);
    command
        .args(mcs_args(&output_file, sdk, &code.libraries))
        .args(&code.sources)
        .stdin(Stdio::null());
    let started = Instant::now();
    tracing::info!(
        sources = code.sources.len(),
        "compiling the function's C# sources"
    );
    install_compiled(
        "C#",
        command,
        &output_file,
        &assembly,
        cache,
        "function-",
        started,
    )?;
    Ok(assembly)
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
    fn code_is_found_sorted_skipping_build_output() {
        let dir = function_dir(&[
            ("b/B.cs", ""),
            ("A.cs", ""),
            (".git/C.cs", ""),
            ("bin/Debug/D.cs", ""),
            ("obj/E.cs", ""),
            ("app.dll", ""),
            ("lib/dep.dll", ""),
            ("other/ignored.dll", ""),
        ]);
        let code = FunctionCode::find(dir.path(), "cs", "dll", &SKIPPED_DIRS).unwrap();
        let names = |paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|path| path.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(names(&code.sources), ["A.cs", "b/B.cs"]);
        assert_eq!(names(&code.libraries), ["app.dll", "lib/dep.dll"]);
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
