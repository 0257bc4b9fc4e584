//! Resource limits, with Cloudflare's defaults, the [`Monitor`] that
//! holds a running Worker to them, and the [`Chain`] of requests that
//! share one subrequest budget.

mod chain;
mod monitor;

pub use chain::Chain;
pub use monitor::{Exceeded, Monitor};

use std::time::Duration;

use serde::Deserialize;

/// Most CPU time a request may use (Cloudflare's paid-plan ceiling).
pub const MAX_CPU: Duration = Duration::from_secs(30);

/// What one Worker may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time per request (default 50 ms, at most 30 s).
    pub cpu: Duration,
    /// `fetch()` calls per request (default 50).
    pub subrequests: u32,
    /// Largest request body accepted (default 100 MB).
    pub request_bytes: u64,
    /// Largest response body sent (default: no limit, as on Cloudflare).
    pub response_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu: Duration::from_millis(50),
            subrequests: 50,
            request_bytes: 100 * 1024 * 1024,
            response_bytes: None,
        }
    }
}

/// Limits as written in config files; fields left out keep their value.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub cpu_ms: Option<u64>,
    pub subrequests: Option<u32>,
    pub request_mb: Option<u64>,
    pub response_mb: Option<u64>,
}

impl LimitsConfig {
    /// `base` with the fields this config sets; an error names the field.
    pub fn apply(&self, base: Limits) -> Result<Limits, String> {
        let cpu = match self.cpu_ms {
            Some(0) => return Err("`cpu_ms` must be at least 1".into()),
            Some(ms) if Duration::from_millis(ms) > MAX_CPU => {
                return Err(format!(
                    "`cpu_ms` is {ms}, more than the most allowed, 30000"
                ));
            }
            Some(ms) => Duration::from_millis(ms),
            None => base.cpu,
        };
        Ok(Limits {
            cpu,
            subrequests: self.subrequests.unwrap_or(base.subrequests),
            request_bytes: match self.request_mb {
                Some(mb) => megabytes("request_mb", mb)?,
                None => base.request_bytes,
            },
            response_bytes: match self.response_mb {
                Some(mb) => Some(megabytes("response_mb", mb)?),
                None => base.response_bytes,
            },
        })
    }
}

/// Most megabytes a body limit may name (1 TiB).
const MAX_BODY_MB: u64 = 1024 * 1024;

/// `mb` megabytes in bytes, if `field` can hold that much.
fn megabytes(field: &str, mb: u64) -> Result<u64, String> {
    if !(1..=MAX_BODY_MB).contains(&mb) {
        return Err(format!(
            "`{field}` is {mb}: give from 1 to {MAX_BODY_MB} (MB)"
        ));
    }
    Ok(mb * 1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_limits_that_cannot_hold_are_refused_naming_the_field() {
        for (request_mb, response_mb, field) in [
            (Some(0), None, "request_mb"),
            (None, Some(0), "response_mb"),
            (Some(u64::MAX), None, "request_mb"),
        ] {
            let config = LimitsConfig {
                request_mb,
                response_mb,
                ..Default::default()
            };
            let error = config.apply(Limits::default()).unwrap_err();
            assert!(error.contains(field), "{error}");
        }
    }

    #[test]
    fn config_overrides_only_what_it_sets() {
        let limits = LimitsConfig {
            cpu_ms: Some(200),
            ..Default::default()
        }
        .apply(Limits::default())
        .unwrap();
        assert_eq!(limits.cpu, Duration::from_millis(200));
        assert_eq!(limits.subrequests, 50);
        assert_eq!(limits.request_bytes, 100 * 1024 * 1024);
    }

    #[test]
    fn cpu_is_capped_at_thirty_seconds() {
        let err = LimitsConfig {
            cpu_ms: Some(30_001),
            ..Default::default()
        }
        .apply(Limits::default())
        .unwrap_err();
        assert!(err.contains("30000"), "{err}");
    }
}
