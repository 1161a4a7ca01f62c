//! Shared memory: per wrapper incarnation a new segment holding two byte rings
//! (`ferrite-ring`), and a unix socket beside it, bound once per worker as for `unix`,
//! that carries the doorbells and tells by EOF that the wrapper has gone.
//!
//! The rings carry exactly the bytes a socket would, so the pool reads and writes them
//! through the same [`ReadHalf`] and [`WriteHalf`]. A half that finds its ring empty (or
//! full) re-checks it for `spinMicros`, yielding to the scheduler between checks, then
//! announces its sleep and waits for the doorbell socket to become readable. Both halves
//! share that socket: whichever is polled drains the bytes waiting and wakes both, so a
//! ring meant for one is never swallowed by the other.
//!
//! The private directory is under `/dev/shm` (memory, never written back to a disk) and
//! named `ferrite-<pid>-<random>`, so that a processor killed with SIGKILL, which removes
//! nothing, leaves a name from which the next one can tell that its owner is dead.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};

use super::{ReadHalf, WriteHalf};

/// Default `spec.wire.spinMicros`: none. Measured on 2 shared cores (64-byte round trips
/// between the processor's halves and a wrapper thread spinning the same): spinning 25 to
/// 200 µs cut a back-to-back round trip from 21 µs to 1 µs while both sides had a core
/// each, but once they competed for one (a handler working 20 µs, or a 1 ms gap between
/// events, on a busy machine) the spinner kept the core its peer needed and the median
/// round trip grew with the spin (39 µs at 0, 68 at 10, 199 at 50, 663 at 200; 33, 44, 84
/// and 271 µs with gaps), at more CPU. A machine with cores to spare sets it.
pub const DEFAULT_SPIN_MICROS: u32 = 0;
/// Largest `spec.wire.spinMicros`: beyond a millisecond, sleeping costs less than spinning.
pub const MAX_SPIN_MICROS: u32 = 1000;
/// Default `spec.wire.ringBytes`: 1 MiB, the processor's largest batch of events
/// (`WRITE_BATCH_BYTES`), so a full batch goes into the ring in one write; two rings of it
/// per worker are 2 MiB of memory.
pub const DEFAULT_RING_BYTES: usize = 1 << 20;

/// The `shm` transport's settings from `spec.wire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmSettings {
    /// How long a half re-checks an empty or full ring before announcing a sleep.
    pub spin: Duration,
    /// Capacity of each ring in bytes, a power of two.
    pub ring_bytes: usize,
}

impl Default for ShmSettings {
    fn default() -> Self {
        ShmSettings {
            spin: Duration::from_micros(DEFAULT_SPIN_MICROS.into()),
            ring_bytes: DEFAULT_RING_BYTES,
        }
    }
}

/// Makes the processor's private directory for its segments and doorbell sockets (mode
/// `0700`), after removing the directories of this user's processors that died without
/// removing theirs.
pub(super) fn private_dir() -> io::Result<tempfile::TempDir> {
    let parent = segment_parent();
    let dir = tempfile::Builder::new()
        .prefix(&format!("ferrite-{}-", std::process::id()))
        .permissions(super::private_mode())
        .tempdir_in(&parent)?;
    let uid = std::fs::metadata(dir.path())?.uid();
    remove_dead_processors_dirs(&parent, uid);
    Ok(dir)
}

/// `/dev/shm` where there is one, else the user's runtime directory, else the temporary one.
fn segment_parent() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Removes each `ferrite-<pid>-*` directory in `parent` owned by `uid` whose processor is
/// no longer running. A directory whose pid another process has taken since stays until
/// that one is gone too: a leftover is cheaper than removing a live processor's segments.
fn remove_dead_processors_dirs(parent: &Path, uid: u32) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        let owned = entry
            .metadata()
            .is_ok_and(|meta| meta.is_dir() && meta.uid() == uid);
        if !owned || pid == std::process::id() || is_running(pid) {
            continue;
        }
        let path = entry.path();
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), pid, "removed a dead processor's shared-memory directory")
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "cannot remove a dead processor's shared-memory directory")
            }
        }
    }
}

/// The pid in a directory name `ferrite-<pid>-<random>`.
fn owner_pid(name: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix("ferrite-")?.split_once('-')?;
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (digits && !random.is_empty()).then(|| pid.parse().ok())?
}

fn is_running(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Signal 0 checks that the process exists; EPERM means it does, as another user's.
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// A worker's doorbell socket, and the segment made for the wrapper being started.
#[derive(Debug)]
pub struct ShmEndpoint {
    listener: UnixListener,
    socket: PathBuf,
    dir: PathBuf,
    worker: usize,
    settings: ShmSettings,
    incarnations: AtomicU64,
    /// The segment made by [`prepare`](Self::prepare), until its wrapper connects.
    pending: Mutex<Option<Segment>>,
}

#[derive(Debug)]
struct Segment {
    path: PathBuf,
    end: ferrite_ring::Endpoint,
}

impl ShmEndpoint {
    pub(super) fn bind(dir: &Path, worker: usize, settings: ShmSettings) -> io::Result<Self> {
        let unix = super::unix::UnixEndpoint::bind(dir, worker)?;
        let (listener, socket) = unix.into_parts();
        Ok(ShmEndpoint {
            listener,
            socket,
            dir: dir.to_path_buf(),
            worker,
            settings,
            incarnations: AtomicU64::new(0),
            pending: Mutex::new(None),
        })
    }

    pub(super) fn address(&self) -> String {
        self.socket.display().to_string()
    }

    /// Makes a new segment for the wrapper about to start and returns the variables that
    /// tell it where the segment is and how long to spin. A segment made for an earlier
    /// start whose wrapper never connected is removed.
    pub(super) fn prepare(&self) -> io::Result<Vec<(String, String)>> {
        let incarnation = self.incarnations.fetch_add(1, Ordering::Relaxed);
        let path = self
            .dir
            .join(format!("worker-{}-{incarnation}.ring", self.worker));
        let end =
            ferrite_ring::create(&path, self.settings.ring_bytes).map_err(io::Error::other)?;
        let stale = self.pending.lock().expect("segment lock").replace(Segment {
            path: path.clone(),
            end,
        });
        if let Some(stale) = stale {
            let _ = std::fs::remove_file(&stale.path);
        }
        Ok(vec![
            ("FERRITE_SHM_PATH".to_owned(), path.display().to_string()),
            (
                "FERRITE_SPIN_MICROS".to_owned(),
                self.settings.spin.as_micros().to_string(),
            ),
        ])
    }

    /// Waits for the wrapper to connect (it has mapped and claimed the segment by then),
    /// removes the segment's name, and returns the halves over its rings.
    pub(super) async fn accept(&self) -> io::Result<(ReadHalf, WriteHalf)> {
        let (bell, _) = self.listener.accept().await?;
        let segment = self.pending.lock().expect("segment lock").take();
        let Some(Segment { path, end }) = segment else {
            return Err(io::Error::other(
                "a second connection for one segment: each wrapper start gets one",
            ));
        };
        // The mappings outlive the name; without it nothing else can open the segment.
        std::fs::remove_file(&path)?;
        Ok(halves(end, bell, self.settings.spin))
    }
}

/// The pool's halves over one side's rings, with `bell` as the doorbell. Either side of a
/// segment can be driven this way (the tests drive a wrapper's with it).
pub(crate) fn halves(
    end: ferrite_ring::Endpoint,
    bell: UnixStream,
    spin: Duration,
) -> (ReadHalf, WriteHalf) {
    let wakers = Arc::new(Wakers::default());
    let shared = Arc::new(Doorbell {
        bell,
        closed: AtomicBool::new(false),
        bell_waker: Waker::from(Arc::clone(&wakers)),
        wakers,
    });
    let reader = RingReader {
        consumer: end.consumer,
        doorbell: Arc::clone(&shared),
        spin: Spin::new(spin),
    };
    let writer = RingWriter {
        producer: end.producer,
        doorbell: shared,
        spin: Spin::new(spin),
    };
    (Box::new(reader), Box::new(writer))
}

/// Which half a waker slot belongs to.
const READER: usize = 0;
const WRITER: usize = 1;

/// The tasks waiting on the doorbell, one slot per half; woken together.
///
/// Apart from [`Doorbell`] because the socket's registration keeps the waker made from
/// this: were it the doorbell itself, the socket would keep itself alive and never close.
#[derive(Default)]
struct Wakers {
    /// A std mutex: held only to swap a waker, never across an await.
    slots: Mutex<[Option<Waker>; 2]>,
}

impl Wakers {
    fn register(&self, slot: usize, waker: &Waker) {
        let mut slots = self.slots.lock().expect("waker lock");
        match &mut slots[slot] {
            Some(old) if old.will_wake(waker) => {}
            other => *other = Some(waker.clone()),
        }
    }

    fn wake_all(&self) {
        let taken = std::mem::take(&mut *self.slots.lock().expect("waker lock"));
        taken.into_iter().flatten().for_each(Waker::wake);
    }
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_all();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_all();
    }
}

/// The doorbell socket both halves share.
struct Doorbell {
    bell: UnixStream,
    /// Set at EOF (or an error) on the socket: the peer has gone.
    closed: AtomicBool,
    /// Registered with the socket's readiness by whichever half polls it, so that the
    /// reactor wakes both halves (the socket keeps only the last waker it was given).
    bell_waker: Waker,
    wakers: Arc<Wakers>,
}

impl Doorbell {
    /// Rings the peer. Never blocks: a full socket buffer already holds rings the peer
    /// has not read, so it will wake anyway; a peer that has gone is the reader's to see.
    fn ring(&self) {
        let _ = self.bell.try_write(&[1]);
    }

    fn is_closed(&self) -> bool {
        // SYNC POINT: relaxed: the flag is a hint to stop waiting; the rings' indices
        // carry their own ordering.
        self.closed.load(Ordering::Relaxed)
    }

    /// A half's wait for its ring to change: spins while `spin` allows, then announces a
    /// sleep with `prepare_to_sleep` and waits for the doorbell. `Ready` when the ring is
    /// worth checking again (the caller then ends any sleep announced), `Pending` while
    /// the task spins (woken at once) or sleeps (woken by the doorbell).
    fn poll_turn(
        &self,
        spin: &mut Spin,
        slot: usize,
        cx: &mut Context<'_>,
        prepare_to_sleep: impl FnOnce() -> bool,
    ) -> Poll<()> {
        if spin.again(cx) {
            return Poll::Pending;
        }
        // Before announcing: the ring the peer sends for this announcement may be drained
        // by the other half, on another thread, before this one polls the socket; its
        // `wake_all` must find us then.
        self.wakers.register(slot, cx.waker());
        if !prepare_to_sleep() {
            return Poll::Ready(());
        }
        std::task::ready!(self.poll_rung(slot, cx));
        spin.progressed();
        Poll::Ready(())
    }

    /// Waits for a ring or EOF: `Ready` once it has drained the bytes waiting (waking the
    /// other half too, whose ring it may have taken) or seen the socket close; `Pending`
    /// with the caller's waker in `slot`.
    fn poll_rung(&self, slot: usize, cx: &mut Context<'_>) -> Poll<()> {
        self.wakers.register(slot, cx.waker());
        let mut shared_cx = Context::from_waker(&self.bell_waker);
        loop {
            if let Err(err) = std::task::ready!(self.bell.poll_read_ready(&mut shared_cx)) {
                return self.close(&err.to_string());
            }
            let mut drained = false;
            let mut rings = [0u8; 64];
            loop {
                match self.bell.try_read(&mut rings) {
                    Ok(0) => return self.close("EOF"),
                    Ok(_) => drained = true,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => return self.close(&err.to_string()),
                }
            }
            if drained {
                self.wakers.wake_all();
                return Poll::Ready(());
            }
            // Readiness was stale and is now cleared: poll again to register for the next.
        }
    }

    fn close(&self, why: &str) -> Poll<()> {
        tracing::trace!(why, "shm doorbell closed");
        // SYNC POINT: relaxed, as in `is_closed`.
        self.closed.store(true, Ordering::Relaxed);
        self.wakers.wake_all();
        Poll::Ready(())
    }
}

/// The spin phase of one half: until when it re-checks before announcing a sleep.
struct Spin {
    spin: Duration,
    until: Option<Instant>,
}

impl Spin {
    fn new(spin: Duration) -> Self {
        Spin { spin, until: None }
    }

    /// Whether to check again rather than sleep: if so, the task is woken at once, so it
    /// yields its thread to other tasks between checks rather than holding it.
    fn again(&mut self, cx: &mut Context<'_>) -> bool {
        if self.spin.is_zero() {
            return false;
        }
        let now = Instant::now();
        if now < *self.until.get_or_insert(now + self.spin) {
            cx.waker().wake_by_ref();
            return true;
        }
        false
    }

    fn progressed(&mut self) {
        self.until = None;
    }
}

/// Reads the ring the wrapper writes.
struct RingReader {
    consumer: ferrite_ring::Consumer,
    doorbell: Arc<Doorbell>,
    spin: Spin,
}

impl AsyncRead for RingReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // A ring that always holds bytes would never make this task yield: take from the
        // task's budget as tokio's own sockets do, so it yields its thread now and then.
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let this = self.get_mut();
        // Whatever woke us, a sleep announced before is over.
        this.consumer.cancel_sleep();
        loop {
            let available = this.consumer.available();
            if available > 0 || buf.remaining() == 0 {
                let want = available.min(buf.remaining());
                let n = this.consumer.read(buf.initialize_unfilled_to(want));
                buf.advance(n);
                if this.consumer.needs_ring() {
                    this.doorbell.ring();
                }
                this.spin.progressed();
                coop.made_progress();
                return Poll::Ready(Ok(()));
            }
            if this.doorbell.is_closed() {
                // The wrapper's last bytes were published before it exited, and its exit
                // before its socket closed: an empty ring now is the end of the stream.
                if this.consumer.available() > 0 {
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            let consumer = &mut this.consumer;
            std::task::ready!(this
                .doorbell
                .poll_turn(&mut this.spin, READER, cx, || consumer.prepare_to_sleep()));
            this.consumer.cancel_sleep();
        }
    }
}

/// Writes the ring the wrapper reads.
struct RingWriter {
    producer: ferrite_ring::Producer,
    doorbell: Arc<Doorbell>,
    spin: Spin,
}

impl AsyncWrite for RingWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
        let this = self.get_mut();
        this.producer.cancel_sleep();
        loop {
            if this.doorbell.is_closed() {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            let n = this.producer.write(buf);
            if n > 0 || buf.is_empty() {
                if this.producer.needs_ring() {
                    this.doorbell.ring();
                }
                this.spin.progressed();
                coop.made_progress();
                return Poll::Ready(Ok(n));
            }
            let producer = &mut this.producer;
            std::task::ready!(this
                .doorbell
                .poll_turn(&mut this.spin, WRITER, cx, || producer.prepare_to_sleep()));
            this.producer.cancel_sleep();
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Every write is published to the ring as it is made.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A ring has no end-of-stream mark, and closing the doorbell would tell the wrapper
        // the processor has gone before it read the `shutdown` already in the ring: the
        // wrapper leaves on that message, and the socket closes when both halves drop.
        Poll::Ready(Ok(()))
    }
}

/// A wrapper's side, as the wrapper is told to attach: open the segment, then connect.
#[cfg(test)]
pub(crate) async fn connect_as_wrapper(
    address: &str,
    env: &[(String, String)],
) -> (ReadHalf, WriteHalf) {
    let var = |name: &str| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("{name} is not set"))
    };
    let end = ferrite_ring::open(Path::new(&var("FERRITE_SHM_PATH"))).unwrap();
    let spin = Duration::from_micros(var("FERRITE_SPIN_MICROS").parse().unwrap());
    let bell = UnixStream::connect(address).await.unwrap();
    halves(end, bell, spin)
}

#[cfg(test)]
mod tests {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn segment_path(env: &[(String, String)]) -> PathBuf {
        let (_, path) = env.iter().find(|(k, _)| k == "FERRITE_SHM_PATH").unwrap();
        PathBuf::from(path)
    }

    /// A bound endpoint in a private directory, its wrapper connected to a new segment.
    async fn connected(
        dir: &Path,
        settings: ShmSettings,
        worker: usize,
    ) -> (ShmEndpoint, (ReadHalf, WriteHalf), (ReadHalf, WriteHalf)) {
        let endpoint = ShmEndpoint::bind(dir, worker, settings).unwrap();
        let (processor, wrapper) = attach(&endpoint).await;
        (endpoint, processor, wrapper)
    }

    async fn attach(endpoint: &ShmEndpoint) -> ((ReadHalf, WriteHalf), (ReadHalf, WriteHalf)) {
        let (env, address) = (endpoint.prepare().unwrap(), endpoint.address());
        let (processor, wrapper) =
            tokio::join!(endpoint.accept(), connect_as_wrapper(&address, &env));
        (processor.unwrap(), wrapper)
    }

    #[test]
    fn directory_names_give_their_owners_pid() {
        assert_eq!(owner_pid("ferrite-1234-a8Bc9z"), Some(1234));
        for name in [
            "ferrite-abc-x",
            "ferrite-1234",
            "ferrite--x",
            "ferrite-12-",
            "other-1-x",
        ] {
            assert_eq!(owner_pid(name), None, "{name}");
        }
    }

    #[tokio::test]
    async fn a_new_segment_is_private_and_its_name_goes_once_the_wrapper_connects() {
        let dir = private_dir().unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        let endpoint = ShmEndpoint::bind(dir.path(), 3, ShmSettings::default()).unwrap();
        let env = endpoint.prepare().unwrap();
        let path = segment_path(&env);
        assert_eq!(mode(&path), 0o600);
        assert!(env.contains(&(
            "FERRITE_SPIN_MICROS".into(),
            DEFAULT_SPIN_MICROS.to_string()
        )));
        // A start whose wrapper never connected leaves no segment behind the next.
        let env = endpoint.prepare().unwrap();
        assert!(!path.exists());
        let (path, address) = (segment_path(&env), endpoint.address());
        let (processor, _wrapper) =
            tokio::join!(endpoint.accept(), connect_as_wrapper(&address, &env));
        processor.unwrap();
        assert!(!path.exists());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_64_mib_frame_each_way_at_once_through_a_1_mib_ring() {
        let dir = tempfile::tempdir().unwrap();
        let (_endpoint, (mut p_in, mut p_out), (mut w_in, mut w_out)) =
            connected(dir.path(), ShmSettings::default(), 0).await;
        let frame =
            |salt: u8| -> Vec<u8> { (0..64u32 << 20).map(|i| (i % 253) as u8 ^ salt).collect() };
        let (to_wrapper, to_processor) = (frame(1), frame(2));
        // Both sides write a frame 64 times the ring at once: each goes on reading while
        // its writer waits for space, or neither finishes.
        let p_writer = tokio::spawn({
            let bytes = to_wrapper.clone();
            async move { p_out.write_all(&bytes).await.unwrap() }
        });
        let w_writer = tokio::spawn({
            let bytes = to_processor.clone();
            async move { w_out.write_all(&bytes).await.unwrap() }
        });
        let w_reader = tokio::spawn(async move {
            let mut got = vec![0; 64 << 20];
            w_in.read_exact(&mut got).await.unwrap();
            got
        });
        let mut got = vec![0; 64 << 20];
        tokio::time::timeout(Duration::from_secs(60), p_in.read_exact(&mut got))
            .await
            .expect("stalled")
            .unwrap();
        assert!(got == to_processor, "to_processor bytes differ");
        assert!(
            w_reader.await.unwrap() == to_wrapper,
            "to_wrapper bytes differ"
        );
        p_writer.await.unwrap();
        w_writer.await.unwrap();
    }

    #[tokio::test]
    async fn a_dead_wrappers_last_bytes_then_eof_and_a_fresh_segment_for_the_next() {
        let dir = tempfile::tempdir().unwrap();
        for spin in [0, 50] {
            let settings = ShmSettings {
                spin: Duration::from_micros(spin),
                ring_bytes: 4096,
            };
            let (endpoint, (mut p_in, mut p_out), (w_in, mut w_out)) =
                connected(dir.path(), settings, spin as usize).await;
            // The processor's reader is asleep on the doorbell when the wrapper dies.
            let reader = tokio::spawn(async move {
                let mut got = Vec::new();
                p_in.read_to_end(&mut got).await.unwrap();
                got
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            w_out.write_all(b"last words").await.unwrap();
            drop((w_in, w_out));
            let got = tokio::time::timeout(Duration::from_secs(10), reader)
                .await
                .expect("EOF never seen")
                .unwrap();
            assert_eq!(got, b"last words");
            // Writing to the dead wrapper fails as a closed socket does.
            let err = p_out.write_all(b"event").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);

            // The restarted wrapper gets a segment of its own.
            let ((mut p_in, _p_out), (_w_in, mut w_out)) = attach(&endpoint).await;
            w_out.write_all(b"hello").await.unwrap();
            let mut hello = [0; 5];
            p_in.read_exact(&mut hello).await.unwrap();
            assert_eq!(&hello, b"hello");
        }
    }

    /// Set in the child of the test below: it makes a directory, prints it, and waits to
    /// be killed.
    const CHILD: &str = "FERRITE_SHM_TEST_KILLED_PROCESSOR";

    #[test]
    fn a_killed_processors_directory_is_removed_by_the_next_and_a_live_ones_kept() {
        if std::env::var_os(CHILD).is_some() {
            let dir = private_dir().unwrap();
            println!("dir {}", dir.path().display());
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "--nocapture"])
            .arg("transport::shm::tests::a_killed_processors_directory_is_removed_by_the_next_and_a_live_ones_kept")
            .env(CHILD, "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let killed = lines
            .map(Result::unwrap)
            .find_map(|line| line.strip_prefix("dir ").map(PathBuf::from))
            .expect("the child prints its directory");
        child.kill().unwrap(); // SIGKILL: the child removes nothing.
        child.wait().unwrap();
        assert!(killed.is_dir());

        // A directory named for a live process stays.
        let mut live = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let kept = segment_parent().join(format!("ferrite-{}-live", live.id()));
        std::fs::create_dir(&kept).unwrap();

        let dir = private_dir().unwrap();
        let kept_exists = kept.is_dir();
        let _ = std::fs::remove_dir(&kept);
        let _ = live.kill();
        let _ = live.wait();
        assert!(!killed.exists(), "{} was left behind", killed.display());
        assert!(kept_exists, "a live processor's directory was removed");
        assert_eq!(
            owner_pid(&dir.path().file_name().unwrap().to_string_lossy()),
            Some(std::process::id())
        );
    }
}
