//! A request's chain: the requests it causes in this host (fetches of the
//! host's own Workers, service bindings, RPC calls), which share the
//! subrequest budget of the request that started them.
//!
//! Each Worker counts its own subrequests too (`30_events.js`), and
//! `CF-EW-Via` bounds a chain's depth; neither bounds a chain whose every
//! link fans out. A chain has a random token, which its requests' JS sends
//! on in the [`HEADER`] of each subrequest; a request that arrives with the
//! token of a live chain joins it. The token means nothing once the chain's
//! requests are all done, so one sent elsewhere starts no chain of its own.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

use http::{HeaderMap, HeaderValue};

/// The header that carries a chain's token from a request to its
/// subrequests; JS takes it out of the request a Worker sees.
pub const HEADER: &str = "isola-chain";

/// The live chains, by token.
static LIVE: LazyLock<Mutex<HashMap<u64, Weak<Chain>>>> = LazyLock::new(Default::default);

/// Requests that share one subrequest budget.
#[derive(Debug)]
pub struct Chain {
    token: u64,
    used: AtomicU32,
    limit: u32,
}

impl Chain {
    /// The chain of a request that arrives with `headers`: the live one its
    /// [`HEADER`] names, or a new one with `limit` subrequests. The header
    /// is set to the chain's token either way.
    pub fn join(headers: &mut HeaderMap, limit: u32) -> Arc<Chain> {
        let named = headers
            .get(HEADER)
            .and_then(|v| u64::from_str_radix(v.to_str().ok()?, 16).ok());
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        let chain = match named.and_then(|token| live.get(&token)?.upgrade()) {
            Some(chain) => chain,
            None => {
                let chain = Arc::new(Chain {
                    token: new_token(),
                    used: AtomicU32::new(0),
                    limit,
                });
                live.insert(chain.token, Arc::downgrade(&chain));
                chain
            }
        };
        drop(live);
        let token = HeaderValue::from_str(&format!("{:x}", chain.token)).expect("hex is a value");
        headers.insert(HEADER, token);
        chain
    }

    /// Counts one subrequest against the live chain `token` names: false
    /// once its budget is spent. True when no chain is live under it (its
    /// requests are done): the Worker's own count still applies.
    pub fn take(token: &str) -> bool {
        let Ok(token) = u64::from_str_radix(token, 16) else {
            return true;
        };
        let chain = LIVE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&token)
            .and_then(Weak::upgrade);
        chain.is_none_or(|chain| chain.used.fetch_add(1, Ordering::Relaxed) < chain.limit)
    }
}

/// A token no one outside can guess: a count, hashed with this process's
/// secret SipHash keys (cheaper than asking the system for randomness at
/// every request).
fn new_token() -> u64 {
    static KEYS: LazyLock<RandomState> = LazyLock::new(RandomState::new);
    static COUNT: AtomicU64 = AtomicU64::new(0);
    KEYS.hash_one(COUNT.fetch_add(1, Ordering::Relaxed))
}

impl Drop for Chain {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        // A chain that joined under this token since holds it now.
        if live.get(&self.token).is_some_and(|c| c.strong_count() == 0) {
            live.remove(&self.token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(headers: &HeaderMap) -> String {
        headers[HEADER].to_str().unwrap().to_owned()
    }

    #[test]
    fn requests_that_name_a_live_chain_share_its_budget() {
        let mut first = HeaderMap::new();
        let chain = Chain::join(&mut first, 3);
        let mut second = HeaderMap::new();
        second.insert(HEADER, first[HEADER].clone());
        let joined = Chain::join(&mut second, 50);
        assert!(Arc::ptr_eq(&chain, &joined));
        let t = token(&first);
        assert!(Chain::take(&t) && Chain::take(&t) && Chain::take(&t));
        assert!(!Chain::take(&t), "the fourth subrequest of a chain of 3");
    }

    #[test]
    fn a_token_outlives_its_chain_only_as_a_stranger() {
        let mut headers = HeaderMap::new();
        let chain = Chain::join(&mut headers, 0);
        let t = token(&headers);
        assert!(!Chain::take(&t));
        drop(chain);
        assert!(Chain::take(&t), "a chain that ended counts nothing");
        let mut again = HeaderMap::new();
        again.insert(HEADER, HeaderValue::from_str(&t).unwrap());
        let fresh = Chain::join(&mut again, 5);
        assert_ne!(
            token(&again),
            t,
            "an ended chain's token starts a new chain"
        );
        drop(fresh);
        let mut forged = HeaderMap::new();
        forged.insert(HEADER, HeaderValue::from_static("not-hex"));
        drop(Chain::join(&mut forged, 1));
    }
}
