//! The class-data-sharing archive Java workers start with: JVM start-up is most of a
//! worker's, and loading the wrapper's classes (JDK and libraries included) from an archive
//! saves much of it. The archive is made once per wrapper jar, JDK and JVM options by a
//! training run (`-XX:ArchiveClassesAtExit`, `io.ferrite.wrapper.Main --train`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{extra_options, JdkIdentity, JVM_OPTIONS, MAIN_CLASS};
use crate::runtime::compile::{file_stamp, prune, tail_lines, touch, Fnv128};

/// The longest a training run may take before it is abandoned (workers then start without
/// the archive).
const TRAINING_TIMEOUT: Duration = Duration::from_secs(60);

/// The class-data-sharing archive for this wrapper jar and JDK, made by a training run if
/// there is none yet; `None` (and a warning) if it cannot be made.
pub(super) fn class_data_archive(
    java: &Path,
    jar: &Path,
    jdk: &JdkIdentity,
    cache: &Path,
) -> Option<PathBuf> {
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
