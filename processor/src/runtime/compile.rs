//! What the compiled runtimes (Java, .NET) share: finding a function's sources and prebuilt
//! libraries, and compiling the sources once into a cache, under a hash of everything that
//! went into the build, so that a second start does not compile again.
//!
//! The cache is `$FERRITE_CACHE_DIR`, else `$XDG_CACHE_HOME/ferrite`, else
//! `~/.cache/ferrite`, with a directory per runtime. Entries are marked when used and the
//! ones left unused for a week are removed when a new one is made beside them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, UNIX_EPOCH};

use super::PrepareError;

/// Entries left unused this long are removed when a new one is made beside them.
const STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);
/// How many of a failed compiler's last lines the user is shown.
const COMPILER_TAIL_LINES: usize = 60;

/// What the function directory of a compiled runtime holds: sources anywhere below it
/// (hidden directories and `skipped` ones aside) and prebuilt libraries in it or in its
/// `lib/`, each sorted so cache keys are stable.
#[derive(Debug, Default)]
pub(super) struct FunctionCode {
    pub(super) sources: Vec<PathBuf>,
    pub(super) libraries: Vec<PathBuf>,
}

impl FunctionCode {
    /// The code in `dir`; the error names the directory.
    pub(super) fn find(
        dir: &Path,
        source_extension: &str,
        library_extension: &str,
        skipped: &[&str],
    ) -> Result<FunctionCode, String> {
        Self::walk(dir, source_extension, library_extension, skipped)
            .map_err(|err| format!("cannot read {}: {err}", dir.display()))
    }

    fn walk(
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

    /// Adds the libraries (path and stamp) and the sources (path and text) to `key`.
    fn add_to(&self, key: &mut Fnv128) -> Result<(), PrepareError> {
        for library in &self.libraries {
            key.field(library.as_os_str().as_encoded_bytes());
            key.field(file_stamp(library).as_bytes());
        }
        for source in &self.sources {
            let text = std::fs::read(source).map_err(|err| {
                PrepareError::Build(format!("cannot read {}: {err}", source.display()))
            })?;
            key.field(source.as_os_str().as_encoded_bytes());
            key.field(&text);
        }
        Ok(())
    }
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|ext| ext == extension)
}

/// Where one runtime keeps what it builds (`java`, `dotnet` under ferrite's cache), made if
/// missing.
pub(super) fn runtime_cache(runtime: &str) -> Result<PathBuf, PrepareError> {
    let cache = cache_dir().join(runtime);
    std::fs::create_dir_all(&cache).map_err(|err| {
        PrepareError::Build(format!(
            "cannot create the cache directory {}: {err}",
            cache.display()
        ))
    })?;
    Ok(cache)
}

/// Where ferrite caches what it builds: `$FERRITE_CACHE_DIR`, else `$XDG_CACHE_HOME/ferrite`,
/// else `~/.cache/ferrite`.
fn cache_dir() -> PathBuf {
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

/// A build of a function's sources into a runtime's cache.
pub(super) struct Compilation<'a> {
    /// The sources' language, for logs: `java`, `C#`.
    pub(super) language: &'static str,
    /// The runtime's cache (see [`runtime_cache`]).
    pub(super) cache: &'a Path,
    /// Entries are named `<prefix><hash><suffix>`; older ones with the prefix are pruned.
    pub(super) prefix: &'static str,
    pub(super) suffix: &'static str,
}

impl Compilation<'_> {
    /// The cache entry holding `code` compiled, keyed by `key` (which holds what the code
    /// compiles with: the compiler, the SDK …) and the code itself: the entry made before,
    /// or one made now by the compiler command `compiler` gives for a fresh work directory
    /// and the output path in it, named as the entry will be.
    pub(super) fn run(
        &self,
        code: &FunctionCode,
        mut key: Fnv128,
        compiler: impl FnOnce(&Path, &Path) -> Result<Command, PrepareError>,
    ) -> Result<PathBuf, PrepareError> {
        let language = self.language;
        code.add_to(&mut key)?;
        let name = format!("{}{}{}", self.prefix, key.hex(), self.suffix);
        let cached = self.cache.join(&name);
        if cached.exists() {
            touch(&cached);
            tracing::info!(cached = %cached.display(), "{language} sources unchanged; using what was compiled before");
            return Ok(cached);
        }
        let work = tempfile::Builder::new()
            .prefix(".compile-")
            .tempdir_in(self.cache)
            .map_err(|err| {
                PrepareError::Build(format!(
                    "cannot make a directory in {}: {err}",
                    self.cache.display()
                ))
            })?;
        // Under its final name: an assembly's name comes from its file's.
        let built = work.path().join(&name);
        let command = compiler(work.path(), &built)?;
        let started = Instant::now();
        tracing::info!(
            sources = code.sources.len(),
            "compiling the function's {language} sources"
        );
        run_compiler(command, &built)?;
        match std::fs::rename(&built, &cached) {
            Ok(()) => {}
            // A concurrent ferrite cached the same build first.
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
        prune(self.cache, self.prefix, &cached);
        Ok(cached)
    }
}

/// Runs a compiler `command` that must write `built`. A failed compile returns the
/// compiler's last lines for the user.
fn run_compiler(mut command: Command, built: &Path) -> Result<(), PrepareError> {
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
            tail_lines(messages, COMPILER_TAIL_LINES)
        )));
    }
    if messages.contains("warning") {
        tracing::warn!("{tool}: {messages}");
    }
    Ok(())
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

/// The last `count` lines of `text`, saying how many were left out.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_support::function_dir;

    #[test]
    fn code_is_found_sorted_skipping_hidden_and_skipped_directories() {
        let dir = function_dir(&[
            ("b/B.java", ""),
            ("A.java", ""),
            (".git/C.java", ""),
            ("out/D.java", ""),
            ("app.jar", ""),
            ("lib/dep.jar", ""),
            ("other/ignored.jar", ""),
        ]);
        let code = FunctionCode::find(dir.path(), "java", "jar", &["out"]).unwrap();
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
    fn long_compiler_output_keeps_its_tail() {
        assert_eq!(tail_lines("a\nb", 5), "a\nb");
        assert_eq!(tail_lines("a\nb\nc", 2), "(1 earlier lines left out)\nb\nc");
    }
}
