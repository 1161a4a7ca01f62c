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
//! every worker with it.
//!
//! The JDK is `$FERRITE_JAVA_HOME`'s, else `$JAVA_HOME`'s, else the `java` and `javac` on
//! PATH. `FERRITE_JAVA_OPTIONS` adds JVM options after ferrite's own (so they win);
//! `FERRITE_JAVA_CDS=off` starts workers without the archive.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use super::{find_on_path, Launch, LaunchError, PrepareError};

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
/// The longest a training run may take before it is abandoned (workers then start without
/// the archive).
const TRAINING_TIMEOUT: Duration = Duration::from_secs(60);

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
    let code = FunctionCode::find(dir, "java", "jar", &[])
        .map_err(|err| format!("cannot read {}: {err}", dir.display()))?;
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
    let code = FunctionCode::find(dir, "java", "jar", &[])
        .map_err(|err| PrepareError::Build(format!("cannot read {}: {err}", dir.display())))?;
    let cache = cache_dir().join("java");
    std::fs::create_dir_all(&cache).map_err(|err| {
        PrepareError::Build(format!(
            "cannot create the cache directory {}: {err}",
            cache.display()
        ))
    })?;
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

/// Where ferrite caches what it builds: `$FERRITE_CACHE_DIR`, else `$XDG_CACHE_HOME/ferrite`,
/// else `~/.cache/ferrite`.
pub(super) fn cache_dir() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("FERRITE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("ferrite");
    }
    match var("HOME") {
        Some(home) => PathBuf::from(home).join(".cache/ferrite"),
        None => std::env::temp_dir().join("ferrite-cache"),
    }
}

/// What the function directory of a compiled runtime holds: sources anywhere below it
/// (hidden directories and `skipped` ones aside) and prebuilt libraries in it or in its
/// `lib/`, each sorted so cache keys are stable.
#[derive(Debug, Default)]
pub(super) struct FunctionCode {
    pub(super) sources: Vec<PathBuf>,
    pub(super) libraries: Vec<PathBuf>,
}

impl FunctionCode {
    pub(super) fn find(
        dir: &Path,
        source_extension: &str,
        library_extension: &str,
        skipped: &[&str],
    ) -> std::io::Result<FunctionCode> {
        let mut code = FunctionCode::default();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(at) = pending.pop() {
            for entry in std::fs::read_dir(&at)? {
                let entry = entry?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') {
                    continue;
                }
                let path = entry.path();
                let kind = entry.file_type()?;
                let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
                if is_dir {
                    if !skipped.contains(&name.as_ref()) {
                        pending.push(path);
                    }
                } else if has_extension(&path, source_extension) {
                    code.sources.push(path);
                } else if has_extension(&path, library_extension)
                    && (at == dir || at == dir.join("lib"))
                {
                    code.libraries.push(path);
                }
            }
        }
        code.sources.sort();
        code.libraries.sort();
        Ok(code)
    }
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|ext| ext == extension)
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

/// A file's size and modification time, which change when it is rebuilt.
pub(super) fn file_stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let modified = meta
                .modified()
                .ok()
                .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                .map(|since| since.as_nanos())
                .unwrap_or_default();
            format!("{} {modified}", meta.len())
        }
        Err(_) => "missing".into(),
    }
}

/// FNV-1a, 128 bits: a stable content hash for cache keys (not for security).
pub(super) struct Fnv128(u128);

impl Fnv128 {
    pub(super) fn new() -> Self {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013b);
        }
    }

    /// Adds a field with its length, so fields cannot run into each other.
    pub(super) fn field(&mut self, bytes: &[u8]) {
        self.update(&(bytes.len() as u64).to_le_bytes());
        self.update(bytes);
    }

    pub(super) fn hex(&self) -> String {
        format!("{:032x}", self.0)
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
    let mut hash = Fnv128::new();
    hash.field(b"ferrite java classes v1");
    hash.field(jdk.0.as_bytes());
    hash.field(file_stamp(wrapper_jar).as_bytes());
    for jar in &code.libraries {
        hash.field(jar.as_os_str().as_encoded_bytes());
        hash.field(file_stamp(jar).as_bytes());
    }
    for source in &code.sources {
        let text = std::fs::read(source).map_err(|err| {
            PrepareError::Build(format!("cannot read {}: {err}", source.display()))
        })?;
        hash.field(source.as_os_str().as_encoded_bytes());
        hash.field(&text);
    }
    let classes = cache.join(format!("classes-{}", hash.hex()));
    if classes.is_dir() {
        touch(&classes);
        tracing::info!(classes = %classes.display(), "java sources unchanged; using the classes compiled before");
        return Ok(classes);
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
    let output_dir = work.path().join("classes");
    let mut arguments = String::new();
    for source in &code.sources {
        let _ = writeln!(arguments, "{}", argfile_quote(&source.to_string_lossy()));
    }
    let argfile = work.path().join("sources.txt");
    std::fs::write(&argfile, arguments)
        .map_err(|err| PrepareError::Build(format!("cannot write {}: {err}", argfile.display())))?;
    let mut classpath = vec![wrapper_jar.to_path_buf()];
    classpath.extend(code.libraries.iter().cloned());

    let started = Instant::now();
    tracing::info!(
        sources = code.sources.len(),
        "compiling the function's java sources"
    );
    let mut command = Command::new(&javac);
    command
        .args(JAVAC_OPTIONS)
        .args(["-encoding", "UTF-8", "-d"])
        .arg(&output_dir)
        .arg("-cp")
        .arg(std::env::join_paths(&classpath).unwrap_or_default())
        .arg({
            let mut at = OsString::from("@");
            at.push(&argfile);
            at
        })
        .stdin(Stdio::null());
    install_compiled(
        "java",
        command,
        &output_dir,
        &classes,
        cache,
        "classes-",
        started,
    )?;
    Ok(classes)
}

/// Runs a compiler `command` that writes `built` from the function's `language` sources, then moves `built` into the cache as
/// `cached` and prunes the older entries beside it. A failed compile returns the
/// compiler's last 60 lines for the user; a concurrent ferrite that cached the same
/// result first is fine.
pub(super) fn install_compiled(
    language: &str,
    mut command: Command,
    built: &Path,
    cached: &Path,
    cache: &Path,
    prefix: &str,
    started: Instant,
) -> Result<(), PrepareError> {
    let tool = Path::new(command.get_program())
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = command
        .output()
        .map_err(|err| PrepareError::Build(format!("cannot run {tool}: {err}")))?;
    // Compilers write diagnostics to stderr and (mcs) a summary to stdout.
    let mut messages = String::from_utf8_lossy(&output.stderr).into_owned();
    messages.push_str(&String::from_utf8_lossy(&output.stdout));
    let messages = messages.trim_end();
    if !output.status.success() || !built.exists() {
        return Err(PrepareError::Build(format!(
            "{tool} could not compile the function's sources:\n{}",
            tail_lines(messages, 60)
        )));
    }
    if messages.contains("warning") {
        tracing::warn!("{tool}: {messages}");
    }
    match std::fs::rename(built, cached) {
        Ok(()) => {}
        Err(_) if cached.exists() => {}
        Err(err) => {
            return Err(PrepareError::Build(format!(
                "cannot move the compiled code to {}: {err}",
                cached.display()
            )))
        }
    }
    tracing::info!(
        cached = %cached.display(),
        ms = started.elapsed().as_millis() as u64,
        "compiled the function's {language} sources"
    );
    prune(cache, prefix, cached);
    Ok(())
}

/// Entries left unused this long are removed when a new one is made beside them.
const STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Marks a cache entry as used, so [`prune`] keeps it.
pub(super) fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

/// Removes the cache entries named `prefix…` other than `keep` that have not been modified
/// for [`STALE_AFTER`]: archives of wrapper jars since rebuilt, classes of sources since
/// edited. Best effort; another ferrite may be removing them too.
pub(super) fn prune(cache: &Path, prefix: &str, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if path == keep || !stale || !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// A javac `@argfile` entry: quoted, with `\` and `"` escaped.
fn argfile_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(super) fn tail_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skipped = lines.len().saturating_sub(count);
    let tail = lines[skipped..].join("\n");
    if skipped > 0 {
        format!("({skipped} earlier lines left out)\n{tail}")
    } else {
        tail
    }
}

/// The class-data-sharing archive for this wrapper jar and JDK, made by a training run if
/// there is none yet; `None` (and a warning) if it cannot be made.
fn class_data_archive(java: &Path, jar: &Path, jdk: &JdkIdentity, cache: &Path) -> Option<PathBuf> {
    let mut hash = Fnv128::new();
    hash.field(b"ferrite java cds v1");
    hash.field(jdk.0.as_bytes());
    hash.field(jar.as_os_str().as_encoded_bytes());
    hash.field(file_stamp(jar).as_bytes());
    // Workers can use only an archive made with the options they run with.
    for option in JVM_OPTIONS
        .iter()
        .map(OsString::from)
        .chain(extra_options())
    {
        hash.field(option.as_encoded_bytes());
    }
    let archive = cache.join(format!("cds-{}.jsa", hash.hex()));
    if archive.is_file() {
        touch(&archive);
        return Some(archive);
    }
    let started = Instant::now();
    match train(java, jar, cache, &archive) {
        Ok(()) => {
            tracing::info!(
                archive = %archive.display(),
                ms = started.elapsed().as_millis() as u64,
                "made the java class-data archive workers start with"
            );
            prune(cache, "cds-", &archive);
            Some(archive)
        }
        Err(reason) => {
            tracing::warn!("java workers start without a class-data archive: {reason}");
            None
        }
    }
}

/// Runs the wrapper's training conversations in a JVM that archives its classes at exit.
fn train(java: &Path, jar: &Path, cache: &Path, archive: &Path) -> Result<(), String> {
    let work = tempfile::Builder::new()
        .prefix(".cds-")
        .tempdir_in(cache)
        .map_err(|err| format!("cannot make a directory in {}: {err}", cache.display()))?;
    let partial = work.path().join("archive.jsa");
    let mut dump = OsString::from("-XX:ArchiveClassesAtExit=");
    dump.push(&partial);
    let mut child = Command::new(java)
        .args(JVM_OPTIONS)
        .args(extra_options())
        .arg(dump)
        .arg("-cp")
        .arg(jar)
        .args([MAIN_CLASS, "--train"])
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run {}: {err}", java.display()))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            use std::io::Read;
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let until = Instant::now() + TRAINING_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the training run took over {} s",
                    TRAINING_TIMEOUT.as_secs()
                ));
            }
            Err(err) => return Err(format!("cannot wait for the training run: {err}")),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    if !status.success() || !partial.is_file() {
        return Err(format!(
            "the training run failed ({status}): {}",
            tail_lines(stderr.trim(), 10)
        ));
    }
    std::fs::rename(&partial, archive)
        .map_err(|err| format!("cannot move the archive to {}: {err}", archive.display()))
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
    fn code_is_found_sorted_skipping_hidden_directories() {
        let dir = function_dir(&[
            ("b/B.java", ""),
            ("A.java", ""),
            (".git/C.java", ""),
            ("app.jar", ""),
            ("lib/dep.jar", ""),
            ("other/ignored.jar", ""),
        ]);
        let code = FunctionCode::find(dir.path(), "java", "jar", &[]).unwrap();
        let names = |paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|path| path.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(names(&code.sources), ["A.java", "b/B.java"]);
        assert_eq!(names(&code.libraries), ["app.jar", "lib/dep.jar"]);
    }

    #[test]
    fn hashes_are_stable_and_fields_do_not_run_together() {
        let hash = |fields: &[&[u8]]| {
            let mut hash = Fnv128::new();
            for field in fields {
                hash.field(field);
            }
            hash.hex()
        };
        assert_eq!(hash(&[b"a", b"bc"]), hash(&[b"a", b"bc"]));
        assert_ne!(hash(&[b"a", b"bc"]), hash(&[b"ab", b"c"]));
        assert_eq!(hash(&[]).len(), 32);
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
