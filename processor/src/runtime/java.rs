//! Java: `java -cp ferrite-wrapper.jar:<the function's classes> io.ferrite.wrapper.Main`.
//!
//! `spec.handler` names a class implementing `io.ferrite.EventHandler`. The function
//! directory holds `.java` sources (anywhere below it), jars (in it or in its `lib/`), or
//! both. Before any worker starts, [`prepare`] compiles the sources with `javac` against the
//! SDK and the jars, once: the classes are cached under a hash of everything that went into
//! them (`$XDG_CACHE_HOME/ferrite/java/classes-HASH`), so a second start does not recompile.
//!
//! JVM start-up is most of a worker's: [`prepare`] also keeps a class-data-sharing archive
//! of the wrapper's classes (JDK and libraries included), made once per wrapper jar by a
//! training run (`-XX:ArchiveClassesAtExit`, `io.ferrite.wrapper.Main --train`), and starts
//! every worker with it (`java/class_data.rs`).
//!
//! The JDK is `$FERRITE_JAVA_HOME`'s, else `$JAVA_HOME`'s, else the `java` and `javac` on
//! PATH. `FERRITE_JAVA_OPTIONS` adds JVM options after ferrite's own (so they win);
//! `FERRITE_JAVA_CDS=off` starts workers without the archive.

mod class_data;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::compile::{file_stamp, runtime_cache, Compilation, Fnv128, FunctionCode};
use super::{find_on_path, Launch, LaunchError, PrepareError};
use class_data::class_data_archive;

/// The wrapper jar, relative to ferrite's home.
const WRAPPER_JAR: &str = "wrappers/java/target/ferrite-wrapper.jar";
/// How to build it.
const BUILD_WRAPPER: &str = "cd sdk-java && mvn -q package -DskipTests";
/// The wrapper's entry point.
const MAIN_CLASS: &str = "io.ferrite.wrapper.Main";
/// JVM options for every worker (and the training run, whose archive must match them).
/// Handler prints are UTF-8 whatever the locale, as on JDK 18 and later.
const JVM_OPTIONS: &[&str] = &[
    "-Dfile.encoding=UTF-8",
    "-Dsun.stdout.encoding=UTF-8",
    "-Dsun.stderr.encoding=UTF-8",
    // No hsperfdata file per worker: nothing reads it, and it costs start-up time.
    "-XX:-UsePerfData",
];
/// javac runs once per change of the sources; C1 alone starts it faster.
const JAVAC_OPTIONS: &[&str] = &["-J-XX:TieredStopAtLevel=1", "-J-XX:-UsePerfData"];

/// A binary class name (`com.example.Hello`, `Outer$Inner`), with its code in `dir`.
pub(super) fn check_handler(handler: &str, dir: &Path) -> Result<(), String> {
    let valid = |name: &str| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if handler.is_empty() || !handler.split('.').all(valid) {
        return Err(format!(
            "{handler:?} is not a Java class name; for java it names the class implementing \
             io.ferrite.EventHandler, e.g. com.example.Hello"
        ));
    }
    let code = FunctionCode::find(dir, "java", "jar", &[])?;
    if code.sources.is_empty() && code.libraries.is_empty() {
        return Err(format!(
            "no .java sources or .jar files in {} for handler class {handler}",
            dir.display()
        ));
    }
    if code.libraries.is_empty() {
        // A top-level public class lives in a file of its own name.
        let simple = handler.rsplit('.').next().unwrap_or(handler);
        let top = simple.split('$').next().unwrap_or(simple);
        let file = format!("{top}.java");
        if !code.sources.iter().any(|source| source.ends_with(&file)) {
            return Err(format!(
                "handler class {handler} not found: no {file} among the sources in {}",
                dir.display()
            ));
        }
    }
    Ok(())
}

/// `java` and the wrapper jar; the classpath is completed by [`prepare`].
pub(super) fn launch(home: &Path) -> Result<Launch, LaunchError> {
    let program = jdk_tool("java")?;
    let jar = wrapper_jar(home)?;
    Ok(Launch {
        program,
        args: jvm_args(None, &[jar]),
        env: Vec::new(),
    })
}

/// Compiles the function's sources (unless cached), makes the class-data archive (unless
/// made), and returns the launch with the function's classes and jars on the classpath.
pub(super) fn prepare(launch: Launch, home: &Path, dir: &Path) -> Result<Launch, PrepareError> {
    let jar = wrapper_jar(home)?;
    let code = FunctionCode::find(dir, "java", "jar", &[]).map_err(PrepareError::Build)?;
    let cache = runtime_cache("java")?;
    let jdk = JdkIdentity::of(&launch.program);
    let mut classpath = vec![jar.clone()];
    if !code.sources.is_empty() {
        classpath.push(compile(&code, &jar, &jdk, &cache)?);
    }
    classpath.extend(code.libraries.iter().cloned());
    let archive = match std::env::var("FERRITE_JAVA_CDS").as_deref() {
        Ok("off") | Ok("0") | Ok("false") => None,
        _ => class_data_archive(&launch.program, &jar, &jdk, &cache),
    };
    Ok(Launch {
        program: launch.program,
        args: jvm_args(archive.as_deref(), &classpath),
        env: launch.env,
    })
}

fn jvm_args(archive: Option<&Path>, classpath: &[PathBuf]) -> Vec<OsString> {
    let mut args: Vec<OsString> = JVM_OPTIONS.iter().map(OsString::from).collect();
    if let Some(archive) = archive {
        let mut option = OsString::from("-XX:SharedArchiveFile=");
        option.push(archive);
        args.push(option);
        // A stale or foreign archive is skipped, never fatal.
        args.push("-Xshare:auto".into());
    }
    args.extend(extra_options());
    args.push("-cp".into());
    args.push(std::env::join_paths(classpath).unwrap_or_default());
    args.push(MAIN_CLASS.into());
    args
}

/// `FERRITE_JAVA_OPTIONS`, split on whitespace.
fn extra_options() -> Vec<OsString> {
    std::env::var("FERRITE_JAVA_OPTIONS")
        .unwrap_or_default()
        .split_whitespace()
        .map(OsString::from)
        .collect()
}

/// A tool of the JDK: `$FERRITE_JAVA_HOME/bin/NAME`, `$JAVA_HOME/bin/NAME`, or NAME on PATH.
fn jdk_tool(name: &str) -> Result<PathBuf, LaunchError> {
    for variable in ["FERRITE_JAVA_HOME", "JAVA_HOME"] {
        if let Some(home) = std::env::var_os(variable).filter(|home| !home.is_empty()) {
            let tool = PathBuf::from(home).join("bin").join(name);
            return find_on_path(&tool.to_string_lossy()).ok_or(LaunchError::MissingCommand {
                runtime: "java",
                command: format!("{} (from {variable})", tool.display()),
                hint: "point FERRITE_JAVA_HOME or JAVA_HOME at a JDK 17 or newer",
            });
        }
    }
    find_on_path(name).ok_or(LaunchError::MissingCommand {
        runtime: "java",
        command: name.to_owned(),
        hint: "install a JDK 17 or newer (apt-get install default-jdk-headless), or set FERRITE_JAVA_HOME",
    })
}

fn wrapper_jar(home: &Path) -> Result<PathBuf, LaunchError> {
    let jar = home.join(WRAPPER_JAR);
    if jar.is_file() {
        Ok(jar)
    } else {
        Err(LaunchError::NotBuilt {
            what: format!("Java wrapper {}", jar.display()),
            how: BUILD_WRAPPER,
        })
    }
}

/// What identifies the JDK, for cache keys: its `release` file (which names its version),
/// else the tool's path and size.
struct JdkIdentity(String);

impl JdkIdentity {
    fn of(java: &Path) -> JdkIdentity {
        let real = std::fs::canonicalize(java).unwrap_or_else(|_| java.to_path_buf());
        let release = real
            .parent()
            .and_then(Path::parent)
            .map(|home| home.join("release"))
            .and_then(|file| std::fs::read_to_string(file).ok());
        JdkIdentity(match release {
            Some(release) => format!("{}\n{release}", real.display()),
            None => format!("{}\n{}", real.display(), file_stamp(&real)),
        })
    }
}

/// The compiled classes of `code`, from the cache or from javac.
fn compile(
    code: &FunctionCode,
    wrapper_jar: &Path,
    jdk: &JdkIdentity,
    cache: &Path,
) -> Result<PathBuf, PrepareError> {
    let javac = jdk_tool("javac")?;
    let mut key = Fnv128::new();
    key.field(b"ferrite java classes v1");
    key.field(jdk.0.as_bytes());
    key.field(file_stamp(wrapper_jar).as_bytes());
    let classes = Compilation {
        language: "java",
        cache,
        prefix: "classes-",
        suffix: "",
    };
    classes.run(code, key, |work, output_dir| {
        let mut arguments = String::new();
        for source in &code.sources {
            let _ = writeln!(arguments, "{}", argfile_quote(&source.to_string_lossy()));
        }
        let argfile = work.join("sources.txt");
        std::fs::write(&argfile, arguments).map_err(|err| {
            PrepareError::Build(format!("cannot write {}: {err}", argfile.display()))
        })?;
        let mut classpath = vec![wrapper_jar.to_path_buf()];
        classpath.extend(code.libraries.iter().cloned());
        let mut command = Command::new(&javac);
        command
            .args(JAVAC_OPTIONS)
            .args(["-encoding", "UTF-8", "-d"])
            .arg(output_dir)
            .arg("-cp")
            .arg(std::env::join_paths(&classpath).unwrap_or_default())
            .arg({
                let mut at = OsString::from("@");
                at.push(&argfile);
                at
            })
            .stdin(Stdio::null());
        Ok(command)
    })
}

/// A javac `@argfile` entry: quoted, with `\` and `"` escaped.
fn argfile_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::function_dir;

    #[test]
    fn handler_is_a_class_whose_source_is_there() {
        let dir = function_dir(&[("com/example/Hello.java", "class Hello {}")]);
        assert!(check_handler("com.example.Hello", dir.path()).is_ok());
        assert!(check_handler("com.example.Hello$Inner", dir.path()).is_ok());
        let missing = check_handler("com.example.Bye", dir.path()).unwrap_err();
        assert!(missing.contains("no Bye.java"), "{missing}");
        for bad in ["", "main:handler", "com..Hello", "1Hello", "Hello::handle"] {
            let err = check_handler(bad, dir.path()).unwrap_err();
            assert!(err.contains("not a Java class name"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_jar_may_hold_the_handler() {
        let dir = function_dir(&[("lib/app.jar", "")]);
        assert!(check_handler("com.example.Anything", dir.path()).is_ok());
        let empty = function_dir(&[("README.md", "")]);
        let err = check_handler("Hello", empty.path()).unwrap_err();
        assert!(err.contains("no .java sources or .jar files"), "{err}");
    }

    #[test]
    fn argfile_entries_are_quoted() {
        assert_eq!(argfile_quote("/a b/C.java"), "\"/a b/C.java\"");
        assert_eq!(argfile_quote(r#"/a"b\c"#), r#""/a\"b\\c""#);
    }

    #[test]
    fn worker_classpath_starts_with_the_wrapper_jar() {
        let args = jvm_args(
            Some(Path::new("/cache/cds.jsa")),
            &[PathBuf::from("/w.jar"), PathBuf::from("/classes")],
        );
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let cp = args.iter().position(|arg| arg == "-cp").unwrap();
        assert_eq!(args[cp + 1], "/w.jar:/classes");
        assert_eq!(args.last().unwrap(), MAIN_CLASS);
        assert!(args.contains(&"-XX:SharedArchiveFile=/cache/cds.jsa".to_owned()));
    }
}
