//! Where a webhook came from: address ranges (CIDR) and the client address behind
//! trusted proxies. Providers that sign nothing (YooKassa) are trusted by the address
//! they send from, so this must not be fooled by a header anyone can write.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::WebhookRequest;

/// An address range: `185.71.76.0/27`, `2a02:5180::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may reach a dual-stack socket as `::ffff:a.b.c.d`.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if net[..full] != ip[..full] {
        return false;
    }
    let rest = prefix % 8;
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        net[full] & mask == ip[full] & mask
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or a range like 185.71.76.0/27"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A comma-separated list of ranges (configuration).
pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Cidr::from_str)
        .collect()
}

/// Who sent the request: the TCP peer, or, when the peer is one of our trusted proxies,
/// the address that proxy appended last to `X-Forwarded-For` (walking back through
/// further trusted proxies). Addresses a client put in the header itself come first in
/// it and are never reached.
pub fn client_address(req: &WebhookRequest<'_>, trusted_proxies: &[Cidr]) -> Option<IpAddr> {
    Some(forwarded_client(
        req.peer?,
        req.headers.get("x-forwarded-for"),
        trusted_proxies,
    ))
}

/// [`client_address`] from its parts: the TCP `peer` and its `X-Forwarded-For`.
pub fn forwarded_client(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted_proxies: &[Cidr],
) -> IpAddr {
    let trusted = |ip: IpAddr| trusted_proxies.iter().any(|c| c.contains(ip));
    let mut client = peer;
    if !trusted(client) {
        return client;
    }
    let Some(forwarded) = forwarded_for else {
        return client;
    };
    for hop in forwarded.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            // A hop we cannot read: stop at the last address we could vouch for.
            return client;
        };
        client = ip;
        if !trusted(ip) {
            return ip;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::providers::WebhookHeaders;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_exactly_their_addresses() {
        let r = cidr("185.71.76.0/27");
        assert!(r.contains("185.71.76.0".parse().unwrap()));
        assert!(r.contains("185.71.76.31".parse().unwrap()));
        assert!(!r.contains("185.71.76.32".parse().unwrap()));
        assert!(cidr("77.75.156.11").contains("77.75.156.11".parse().unwrap()));
        assert!(!cidr("77.75.156.11").contains("77.75.156.12".parse().unwrap()));
        let v6 = cidr("2a02:5180::/32");
        assert!(v6.contains("2a02:5180:0:1::5".parse().unwrap()));
        assert!(!v6.contains("2a02:5181::1".parse().unwrap()));
        assert!(!v6.contains("185.71.76.1".parse().unwrap()));
        // An IPv4 peer seen through a dual-stack socket.
        assert!(r.contains("::ffff:185.71.76.5".parse().unwrap()));
        assert!(cidr("0.0.0.0/0").contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn bad_ranges_are_refused_with_the_reason() {
        assert!(
            "185.71.76.0/33"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!("example.com".parse::<Cidr>().is_err());
        assert_eq!(parse_list(" 10.0.0.0/8 , ,::1 ").unwrap().len(), 2);
    }

    fn from(peer: &str, forwarded: Option<&str>, proxies: &[&str]) -> Option<IpAddr> {
        let headers = WebhookHeaders::new(forwarded.map(|f| ("X-Forwarded-For", f)));
        let req = WebhookRequest {
            kind: None,
            headers: &headers,
            body: b"",
            peer: Some(peer.parse().unwrap()),
        };
        let proxies: Vec<Cidr> = proxies.iter().map(|p| cidr(p)).collect();
        client_address(&req, &proxies)
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let yk = Some("185.71.76.5".parse().unwrap());
        // No trusted proxy: the header is anyone's words.
        assert_eq!(
            from("203.0.113.9", Some("185.71.76.5"), &[]),
            Some("203.0.113.9".parse().unwrap())
        );
        // Behind our proxy: the address it appended.
        assert_eq!(from("10.0.0.2", Some("185.71.76.5"), &["10.0.0.0/8"]), yk);
        // A forged first hop is never reached: the proxy appended the real sender last.
        assert_eq!(
            from(
                "10.0.0.2",
                Some("185.71.76.5, 203.0.113.9"),
                &["10.0.0.0/8"]
            ),
            Some("203.0.113.9".parse().unwrap())
        );
        // Two proxies of ours in a row.
        assert_eq!(
            from("10.0.0.2", Some("185.71.76.5, 10.0.0.7"), &["10.0.0.0/8"]),
            yk
        );
    }
}
