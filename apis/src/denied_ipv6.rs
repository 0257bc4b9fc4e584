//! The IPv6 subnets that the Worker of this thread's isolate may not reach.
//!
//! The host's outbound policy (`isola::outbound`) is made of Deno's net
//! permissions, which take IPv6 addresses but not IPv6 subnets. The subnets
//! they cannot hold (unique-local `fc00::/7`, link-local `fe80::/10`, less
//! what the host allows) are kept here, per isolate thread, for the checks
//! that run where no op state is at hand: `deno_fetch`'s request and
//! resolver hooks, and outgoing WebSockets.

use std::cell::RefCell;
use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

thread_local! {
    static DENIED: RefCell<Vec<Ipv6Net>> = const { RefCell::new(Vec::new()) };
}

/// Makes `denied` the subnets this thread's isolate may not reach.
pub fn set(denied: Vec<Ipv6Net>) {
    DENIED.with(|current| *current.borrow_mut() = denied);
}

/// The subnets this thread's isolate may not reach.
pub fn get() -> Vec<Ipv6Net> {
    DENIED.with(|current| current.borrow().clone())
}

/// Whether this thread's isolate may not reach `ip`.
pub fn contains(ip: &Ipv6Addr) -> bool {
    DENIED.with(|current| current.borrow().iter().any(|net| net.contains(ip)))
}

/// Deno's wording for a refused address, which `fetch()` and `WebSocket`
/// turn into the Worker's TypeError.
pub fn refusal(ip: &Ipv6Addr, port: u16) -> String {
    format!("Requires net access to \"[{ip}]:{port}\"")
}
