//! TCP connections a Worker opens (outgoing WebSockets, `connect()`), to
//! addresses its net permissions allow: the host and port are checked,
//! then each address the host resolves to, and the connection goes to an
//! address that passed, so no second lookup can lead elsewhere (as
//! `fetch()` is checked).

use deno_permissions::PermissionsContainer;

/// A connection to `host` (a name, an IPv4 address or a bracketed IPv6
/// one) at `port`, for `api` (named in refusals).
pub async fn connect(
    mut permissions: PermissionsContainer,
    host: &str,
    port: u16,
    api: &'static str,
) -> Result<tokio::net::TcpStream, String> {
    let url = url::Url::parse(&format!("https://{host}:{port}/")).map_err(|e| e.to_string())?;
    permissions
        .check_net_url(&url, api)
        .map_err(|e| e.to_string())?;
    // The IPv6 subnets Deno's permissions cannot hold.
    let denied_ipv6 = crate::denied_ipv6::get();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| e.to_string())?;
    let mut last_error = format!("{host} has no address");
    for address in addresses {
        if let Err(e) = permissions.check_net_resolved(&address.ip(), port, api) {
            last_error = e.to_string();
            continue;
        }
        if let std::net::IpAddr::V6(ip) = address.ip()
            && denied_ipv6.iter().any(|net| net.contains(&ip))
        {
            last_error = crate::denied_ipv6::refusal(&ip, port);
            continue;
        }
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(last_error)
}
