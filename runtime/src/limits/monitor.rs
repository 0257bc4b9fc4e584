//! Watching isolates from outside: CPU time, memory, and the watchdog that
//! stops JS running past its CPU limit.
//!
//! Each isolate thread marks when it starts and stops running JS (one turn
//! of its event loop) in its [`Monitor`], in CPU time of its own thread. The
//! watchdog thread reads each busy isolate's thread CPU clock every few
//! milliseconds and terminates execution once a turn has used more than the
//! CPU limit of every request it serves together, which is what stops
//! `while (true) {}`: a lone request gets its own limit; a turn shared by
//! `n` requests may use `n` times as much, since JS continuations cannot be
//! told apart by request from outside. (Each request's own share is checked
//! after every turn; see `HostState::charge`.) CPU time, not wall time, is
//! what Cloudflare limits; a thread's CPU clock can be read from another
//! thread on Linux (`pthread_getcpuclockid`).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use deno_core::v8;

/// How often the watchdog looks at busy isolates.
const WATCHDOG_TICK: Duration = Duration::from_millis(5);

/// Why an isolate was stopped from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exceeded {
    Cpu = 1,
    Memory = 2,
}

/// What the host knows of one isolate while it runs.
pub struct Monitor {
    /// CPU clock of the isolate's thread.
    clock: libc::clockid_t,
    /// Thread CPU time (ns) when the current turn of JS began; 0 when idle.
    busy_since: AtomicU64,
    /// Requests the current turn serves (in flight when it began, plus those
    /// taken during it).
    turn_requests: AtomicU64,
    /// CPU time (ns) spent running JS, in total.
    cpu_total: AtomicU64,
    /// Bytes of JS heap, refreshed by the isolate now and then.
    heap_bytes: AtomicU64,
    cpu_limit_ns: AtomicU64,
    exceeded: AtomicU8,
    /// Set when the isolate should take no more requests.
    retiring: AtomicBool,
    handle: OnceLock<v8::IsolateHandle>,
}

impl Monitor {
    /// A monitor for the calling thread, registered with the watchdog. The
    /// CPU limit is set when a Worker is loaded ([`Monitor::set_cpu_limit`]).
    pub fn for_current_thread() -> Arc<Self> {
        let mut clock: libc::clockid_t = 0;
        // SAFETY: pthread_self() is the calling thread; `clock` is written.
        let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } == 0;
        if !ok {
            return Self::detached();
        }
        let monitor = Arc::new(Self::with_clock(clock));
        watchdog().watch(&monitor);
        monitor
    }

    /// A monitor for something that is not an isolate thread (a Wasm
    /// guest): no watchdog, CPU time added as it is used.
    pub fn detached() -> Arc<Self> {
        Arc::new(Self::with_clock(libc::CLOCK_THREAD_CPUTIME_ID))
    }

    fn with_clock(clock: libc::clockid_t) -> Self {
        Self {
            clock,
            busy_since: AtomicU64::new(0),
            turn_requests: AtomicU64::new(0),
            cpu_total: AtomicU64::new(0),
            heap_bytes: AtomicU64::new(0),
            cpu_limit_ns: AtomicU64::new(u64::MAX),
            exceeded: AtomicU8::new(0),
            retiring: AtomicBool::new(false),
            handle: OnceLock::new(),
        }
    }

    /// Counts `used` as CPU time spent.
    pub fn add_cpu(&self, used: Duration) {
        let ns = u64::try_from(used.as_nanos()).unwrap_or(u64::MAX);
        self.cpu_total.fetch_add(ns, Ordering::Relaxed);
    }

    /// Sets how much CPU time one request may use.
    pub fn set_cpu_limit(&self, limit: Duration) {
        let ns = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        self.cpu_limit_ns.store(ns, Ordering::Relaxed);
    }

    /// Asks the host to send this isolate no more requests.
    pub fn retire(&self) {
        self.retiring.store(true, Ordering::Release);
    }

    pub fn is_retiring(&self) -> bool {
        self.retiring.load(Ordering::Acquire)
    }

    /// Gives the watchdog the means to stop this isolate's JS.
    pub fn set_handle(&self, handle: v8::IsolateHandle) {
        let _ = self.handle.set(handle);
    }

    /// CPU time this thread has used; call it on the isolate's own thread.
    pub fn now(&self) -> u64 {
        cpu_time(self.clock)
    }

    /// Marks the start of a turn of JS at thread CPU time `now`, with
    /// `requests` in flight.
    pub fn enter(&self, now: u64, requests: usize) {
        self.turn_requests.store(requests as u64, Ordering::Relaxed);
        self.busy_since.store(now.max(1), Ordering::Release);
    }

    /// Counts a request taken during the current turn.
    pub fn add_turn_request(&self) {
        self.turn_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks its end; returns the CPU time it took.
    pub fn leave(&self, started: u64) -> u64 {
        self.busy_since.store(0, Ordering::Release);
        let used = self.now().saturating_sub(started);
        self.cpu_total.fetch_add(used, Ordering::Relaxed);
        used
    }

    pub fn cpu_total(&self) -> Duration {
        Duration::from_nanos(self.cpu_total.load(Ordering::Relaxed))
    }

    pub fn heap_bytes(&self) -> u64 {
        self.heap_bytes.load(Ordering::Relaxed)
    }

    pub fn set_heap_bytes(&self, bytes: u64) {
        self.heap_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Why the isolate was stopped, if it was.
    pub fn exceeded(&self) -> Option<Exceeded> {
        match self.exceeded.load(Ordering::Acquire) {
            1 => Some(Exceeded::Cpu),
            2 => Some(Exceeded::Memory),
            _ => None,
        }
    }

    /// Stops the isolate's JS, recording why. An isolate over its memory
    /// limit is retired; one over the CPU limit serves on once its JS has
    /// stopped (see [`Monitor::resume`]), as Cloudflare keeps it. Safe from
    /// any thread.
    pub fn terminate(&self, reason: Exceeded) {
        if reason == Exceeded::Memory {
            self.retire();
        }
        let _ =
            self.exceeded
                .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire);
        if let Some(handle) = self.handle.get() {
            handle.terminate_execution();
        }
    }

    /// Forgets a CPU-limit stop once the isolate's JS has stopped and its
    /// termination was cancelled: the isolate serves on.
    pub fn resume(&self) {
        let _ = self.exceeded.compare_exchange(
            Exceeded::Cpu as u8,
            0,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Called by the watchdog: terminates a turn of JS over its budget.
    fn check(&self) {
        let since = self.busy_since.load(Ordering::Acquire);
        if since == 0 {
            return;
        }
        let requests = self.turn_requests.load(Ordering::Relaxed).max(1);
        let budget = self
            .cpu_limit_ns
            .load(Ordering::Relaxed)
            .saturating_mul(requests);
        if cpu_time(self.clock).saturating_sub(since) > budget {
            self.terminate(Exceeded::Cpu);
        }
    }
}

fn cpu_time(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// The process's one watchdog thread and the isolates it watches.
struct Watchdog {
    monitors: Mutex<Vec<Weak<Monitor>>>,
}

impl Watchdog {
    fn watch(&self, monitor: &Arc<Monitor>) {
        self.monitors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(monitor));
    }

    fn run(&self) {
        loop {
            std::thread::sleep(WATCHDOG_TICK);
            let mut monitors = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
            monitors.retain(|weak| match weak.upgrade() {
                Some(monitor) => {
                    monitor.check();
                    true
                }
                None => false,
            });
        }
    }
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let watchdog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            monitors: Mutex::new(Vec::new()),
        }));
        std::thread::Builder::new()
            .name("isola-watchdog".into())
            .spawn(|| watchdog.run())
            .expect("cannot start the watchdog thread");
        watchdog
    })
}
