//! Which Node.js modules a Worker gets, from its compatibility date and
//! flags, by workerd's rules (`compatibility-date.capnp`): `nodejs_compat`
//! on from 2026-08-04, `nodejs_compat_v2` (bare names and globals) implied
//! by it from 2024-09-23, `nodejs_als` alone giving `node:async_hooks`, and
//! many modules added on later dates, each with its own flags.

use serde::Serialize;

use super::{SCHEME, is_builtin};

/// The module of `httpServerHandler`, which serves a node:http server as
/// a Worker's `fetch` handler; it comes with node:http.
const CLOUDFLARE_NODE: &str = "cloudflare:node";

fn not_provided(name: &str) -> String {
    format!("No such module \"node:{name}\": this runtime does not provide that Node.js module")
}

/// How much of Node.js a Worker gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// No `node:` modules.
    Off,
    /// `nodejs_als`: `node:async_hooks` only.
    Als,
    /// `nodejs_compat` before 2024-09-23: the modules, with the `node:`
    /// prefix only, and no globals.
    V1,
    /// The modules with or without the prefix, and the globals `Buffer`,
    /// `process`, `global`, `setImmediate` and `clearImmediate`.
    V2,
}

/// Modules that `nodejs_compat` brings only from a date (or with their own
/// flag), and that their own flag can take away.
struct Gate {
    modules: &'static [&'static str],
    enable: &'static str,
    disable: &'static str,
    from: &'static str,
}

const fn gate(
    modules: &'static [&'static str],
    enable: &'static str,
    disable: &'static str,
    from: &'static str,
) -> Gate {
    Gate {
        modules,
        enable,
        disable,
        from,
    }
}

const GATES: &[Gate] = &[
    gate(&["zlib"], "nodejs_zlib", "no_nodejs_zlib", "2024-09-23"),
    gate(
        &[
            "http",
            "https",
            "cloudflare:node",
            "_http_agent",
            "_http_client",
            "_http_common",
            "_http_incoming",
            "_http_outgoing",
            "_http_server",
        ],
        "enable_nodejs_http_modules",
        "disable_nodejs_http_modules",
        "2025-08-15",
    ),
    gate(
        &["http2"],
        "enable_nodejs_http2_module",
        "disable_nodejs_http2_module",
        "2025-09-01",
    ),
    gate(
        &["fs", "fs/promises"],
        "enable_nodejs_fs_module",
        "disable_nodejs_fs_module",
        "2025-09-15",
    ),
    gate(
        &["os"],
        "enable_nodejs_os_module",
        "disable_nodejs_os_module",
        "2025-09-15",
    ),
    gate(
        &["console"],
        "enable_nodejs_console_module",
        "disable_nodejs_console_module",
        "2025-09-21",
    ),
    gate(
        &["vm"],
        "enable_nodejs_vm_module",
        "disable_nodejs_vm_module",
        "2025-10-01",
    ),
    gate(
        &["domain"],
        "enable_nodejs_domain_module",
        "disable_nodejs_domain_module",
        "2025-12-04",
    ),
    gate(
        &["punycode"],
        "enable_nodejs_punycode_module",
        "disable_nodejs_punycode_module",
        "2025-12-04",
    ),
    gate(
        &["cluster"],
        "enable_nodejs_cluster_module",
        "disable_nodejs_cluster_module",
        "2025-12-04",
    ),
    gate(
        &["wasi"],
        "enable_nodejs_wasi_module",
        "disable_nodejs_wasi_module",
        "2025-12-04",
    ),
    gate(
        &["trace_events"],
        "enable_nodejs_trace_events_module",
        "disable_nodejs_trace_events_module",
        "2025-12-04",
    ),
    gate(
        &["_stream_wrap"],
        "enable_nodejs_stream_wrap_module",
        "disable_nodejs_stream_wrap_module",
        "2026-01-29",
    ),
    gate(
        &["dgram"],
        "enable_nodejs_dgram_module",
        "disable_nodejs_dgram_module",
        "2026-01-29",
    ),
    gate(
        &["inspector", "inspector/promises"],
        "enable_nodejs_inspector_module",
        "disable_nodejs_inspector_module",
        "2026-01-29",
    ),
    gate(
        &["sqlite"],
        "enable_nodejs_sqlite_module",
        "disable_nodejs_sqlite_module",
        "2026-01-29",
    ),
    gate(
        &["perf_hooks"],
        "enable_nodejs_perf_hooks_module",
        "disable_nodejs_perf_hooks_module",
        "2026-03-17",
    ),
    gate(
        &["v8"],
        "enable_nodejs_v8_module",
        "disable_nodejs_v8_module",
        "2026-03-17",
    ),
    gate(
        &["tty"],
        "enable_nodejs_tty_module",
        "disable_nodejs_tty_module",
        "2026-03-17",
    ),
    gate(
        &["child_process"],
        "enable_nodejs_child_process_module",
        "disable_nodejs_child_process_module",
        "2026-03-17",
    ),
    gate(
        &["worker_threads"],
        "enable_nodejs_worker_threads_module",
        "disable_nodejs_worker_threads_module",
        "2026-03-17",
    ),
    gate(
        &["readline", "readline/promises"],
        "enable_nodejs_readline_module",
        "disable_nodejs_readline_module",
        "2026-03-17",
    ),
    gate(
        &["repl"],
        "enable_nodejs_repl_module",
        "disable_nodejs_repl_module",
        "2026-03-17",
    ),
];

/// A Worker's Node.js compatibility, as its JS side is told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCompat {
    pub mode: Mode,
    /// Whether `process.env` holds the Worker's vars and secrets
    /// (`nodejs_compat_populate_process_env`, implied from 2025-04-01).
    pub process_env: bool,
    /// The gated modules it does not get.
    pub closed: Vec<&'static str>,
    /// Whether the global timer functions return Node's `Timeout` objects
    /// (`enable_nodejs_global_timers`, implied from 2026-02-10).
    pub global_timers: bool,
}

impl NodeCompat {
    pub fn of(date: Option<&str>, flags: &[String]) -> Self {
        let has = |flag: &str| flags.iter().any(|f| f == flag);
        let from = |day: &str| date.is_some_and(|date| date >= day);
        let compat = (has("nodejs_compat") || has("nodejs_compat_v2") || from("2026-08-04"))
            && !has("no_nodejs_compat");
        let v2 = (has("nodejs_compat_v2") || (compat && from("2024-09-23")))
            && !has("no_nodejs_compat_v2");
        let mode = match (compat, v2) {
            (true, true) => Mode::V2,
            (true, false) => Mode::V1,
            _ if has("nodejs_als") => Mode::Als,
            _ => Mode::Off,
        };
        let process_env = compat
            && (has("nodejs_compat_populate_process_env") || from("2025-04-01"))
            && !has("nodejs_compat_do_not_populate_process_env");
        let global_timers = compat
            && (has("enable_nodejs_global_timers") || from("2026-02-10"))
            && !has("no_nodejs_global_timers");
        let closed = GATES
            .iter()
            .filter(|gate| has(gate.disable) || !(has(gate.enable) || (compat && from(gate.from))))
            .flat_map(|gate| gate.modules.iter().copied())
            .collect();
        Self {
            mode,
            process_env,
            closed,
            global_timers,
        }
    }

    /// The module URL of a Node.js built-in that `specifier` names, if it
    /// names one: `Ok(None)` when it does not (a package or a file), an
    /// error when it names one this Worker may not import. Bare names are
    /// built-ins in [`Mode::V2`] only.
    ///
    /// The URL is [`SCHEME`]`:<name>`, not `node:<name>`: deno_core would
    /// load a module registered as `node:<name>` before asking this
    /// resolver, for every Worker. The module checks again as it loads.
    pub fn resolve(&self, specifier: &str) -> Result<Option<String>, String> {
        let name = match specifier.strip_prefix("node:") {
            // `cloudflare:node` is a module of these, not a `node:` one.
            Some(name) if name.contains(':') => return Err(not_provided(name)),
            Some(name) => name,
            None if specifier == CLOUDFLARE_NODE => specifier,
            None if self.mode == Mode::V2 && is_builtin(specifier) && self.open(specifier) => {
                specifier
            }
            None => return Ok(None),
        };
        let why = if !is_builtin(name) {
            return Err(not_provided(name));
        } else if self.mode == Mode::Off {
            "Node.js modules need the nodejs_compat compatibility flag, or a compatibility \
             date of 2026-08-04 or later"
                .to_string()
        } else if self.mode == Mode::Als && name != "async_hooks" {
            "the nodejs_als flag provides node:async_hooks only; nodejs_compat provides the rest"
                .to_string()
        } else if let Some(gate) = GATES.iter().find(|g| g.modules.contains(&name))
            && !self.open(name)
        {
            format!(
                "it needs the {} compatibility flag, or nodejs_compat with a compatibility \
                 date of {} or later (and not {})",
                gate.enable, gate.from, gate.disable
            )
        } else {
            return Ok(Some(format!("{SCHEME}:{name}")));
        };
        let shown = if name == CLOUDFLARE_NODE {
            name.to_string()
        } else {
            format!("node:{name}")
        };
        Err(format!("No such module \"{shown}\": {why}"))
    }

    fn open(&self, name: &str) -> bool {
        !self.closed.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compat(date: &str, flags: &[&str]) -> NodeCompat {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        NodeCompat::of(Some(date), &flags)
    }

    #[test]
    fn compatibility_dates_and_flags_decide_as_workerd_does() {
        assert_eq!(compat("2026-11-17", &[]).mode, Mode::V2);
        assert_eq!(compat("2026-08-03", &[]).mode, Mode::Off);
        assert_eq!(compat("2025-01-01", &["nodejs_compat"]).mode, Mode::V2);
        assert_eq!(compat("2024-09-22", &["nodejs_compat"]).mode, Mode::V1);
        assert_eq!(compat("2024-01-01", &["nodejs_compat_v2"]).mode, Mode::V2);
        assert_eq!(compat("2026-11-17", &["no_nodejs_compat"]).mode, Mode::Off);
        assert_eq!(
            compat("2025-01-01", &["nodejs_compat", "no_nodejs_compat_v2"]).mode,
            Mode::V1
        );
        assert_eq!(compat("2024-01-01", &["nodejs_als"]).mode, Mode::Als);
        assert!(compat("2025-04-01", &["nodejs_compat"]).process_env);
        assert!(!compat("2025-03-31", &["nodejs_compat"]).process_env);
        assert!(!compat("2026-11-17", &["nodejs_compat_do_not_populate_process_env"]).process_env);
        assert!(compat("2026-02-10", &["nodejs_compat"]).global_timers);
        assert!(!compat("2026-02-09", &["nodejs_compat"]).global_timers);
        assert!(!compat("2026-11-17", &["no_nodejs_global_timers"]).global_timers);
    }

    #[test]
    fn modules_added_later_come_with_their_date_or_flag() {
        let early = compat("2025-01-01", &["nodejs_compat"]);
        assert!(early.closed.contains(&"punycode"));
        assert!(!early.closed.contains(&"zlib"));
        let err = early.resolve("node:punycode").unwrap_err();
        assert!(err.contains("enable_nodejs_punycode_module"), "{err}");
        assert_eq!(
            early.resolve("punycode").unwrap(),
            None,
            "a bare name is a package then"
        );

        let flagged = compat(
            "2025-01-01",
            &["nodejs_compat", "enable_nodejs_punycode_module"],
        );
        assert!(flagged.resolve("node:punycode").unwrap().is_some());
        let late = compat("2026-11-17", &["disable_nodejs_punycode_module"]);
        assert!(late.resolve("node:punycode").is_err());
        assert!(compat("2026-11-17", &[]).closed.is_empty());
    }

    #[test]
    fn builtins_resolve_with_the_prefix_and_bare_only_in_v2() {
        let v2 = compat("2026-11-17", &[]);
        assert_eq!(
            v2.resolve("node:buffer").unwrap().as_deref(),
            Some("isola-node:buffer")
        );
        assert_eq!(
            v2.resolve("buffer").unwrap().as_deref(),
            Some("isola-node:buffer")
        );
        assert_eq!(
            v2.resolve("path/posix").unwrap().as_deref(),
            Some("isola-node:path/posix")
        );
        assert_eq!(v2.resolve("hono").unwrap(), None);
        assert!(
            v2.resolve("node:nope")
                .unwrap_err()
                .contains("does not provide")
        );

        let v1 = compat("2024-01-01", &["nodejs_compat"]);
        assert_eq!(v1.resolve("buffer").unwrap(), None);
        assert_eq!(
            v1.resolve("node:events").unwrap().as_deref(),
            Some("isola-node:events")
        );

        let als = compat("2024-01-01", &["nodejs_als"]);
        assert!(als.resolve("node:async_hooks").unwrap().is_some());
        assert!(
            als.resolve("node:buffer")
                .unwrap_err()
                .contains("nodejs_als")
        );

        let off = compat("2025-01-01", &[]);
        assert!(
            off.resolve("node:buffer")
                .unwrap_err()
                .contains("nodejs_compat")
        );
        assert_eq!(off.resolve("buffer").unwrap(), None);
    }
}
