//! The client address a request comes from, as rate limits key it.
//!
//! `X-Forwarded-For` is believed only when the peer itself is a trusted proxy: anyone can send
//! the header, so trusting it from everyone would let each request pick its own address. Behind
//! a chain of proxies the client is the rightmost hop that is not one of ours.

use std::net::IpAddr;

/// Networks whose connections may name the client in `X-Forwarded-For`.
#[derive(Debug, Clone, Default)]
pub struct Proxies(Vec<(IpAddr, u8)>);

impl Proxies {
    /// Parses addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(entries: &[String]) -> Result<Proxies, String> {
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let bad = || format!("trusted_proxies: {entry:?} is not an address or a network");
            let (addr, bits) = match entry.trim().split_once('/') {
                Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
                None => (entry.trim(), None),
            };
            let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return Err(bad());
            }
            nets.push((addr, bits));
        }
        Ok(Proxies(nets))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, bits)| within(ip, *net, *bits))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// rightmost `X-Forwarded-For` hop that is not itself trusted (or the leftmost, if all are).
    pub fn client(&self, req: &poem::Request) -> Option<IpAddr> {
        let peer = req.remote_addr().as_socket_addr()?.ip();
        Some(self.client_of(peer, req.headers()))
    }

    fn client_of(&self, peer: IpAddr, headers: &poem::http::HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // A hop that does not parse was written by whoever sent the request: stop there.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            prefix(u32::from(a).into(), u32::from(n).into(), 32, bits)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => prefix(u128::from(a), u128::from(n), 128, bits),
        _ => false,
    }
}

fn prefix(a: u128, n: u128, width: u8, bits: u8) -> bool {
    if bits == 0 {
        return true;
    }
    let shift = u32::from(width - bits);
    a >> shift == n >> shift
}

/// The key a limit counts an address under: IPv4 addresses one by one, IPv6 by their /64,
/// since one subscriber is routinely handed a whole /64 to pick addresses from.
pub fn key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(net))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(proxies: &Proxies, peer: &str, xff: &[&str]) -> IpAddr {
        let mut headers = poem::http::HeaderMap::new();
        for h in xff {
            headers.append("x-forwarded-for", h.parse().unwrap());
        }
        proxies.client_of(peer.parse().unwrap(), &headers)
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A stranger's header is ignored.
        assert_eq!(
            client(&proxies, "203.0.113.9", &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        // Through our proxy, the hop it saw; what the client claimed before that is ignored.
        assert_eq!(
            client(&proxies, "10.1.2.3", &["1.1.1.1, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two of our proxies in a row, over two header lines.
        assert_eq!(
            client(&proxies, "10.1.2.3", &["198.51.100.7", "10.9.9.9"]),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last good hop.
        assert_eq!(
            client(&proxies, "::1", &["nonsense, 10.0.0.5"]),
            ip("10.0.0.5")
        );
        // IPv4-mapped peers are the IPv4 address.
        assert_eq!(
            client(&proxies, "::ffff:10.0.0.1", &["192.0.2.4"]),
            ip("192.0.2.4")
        );
    }

    #[test]
    fn bad_entries_are_refused_by_name() {
        assert!(Proxies::parse(&["10.0.0.0/33".into()]).is_err());
        let err = Proxies::parse(&["proxy.local".into()]).unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let a = key("2001:db8:1:2::5".parse().unwrap());
        let b = key("2001:db8:1:2:ffff::1".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, key("2001:db8:1:3::5".parse().unwrap()));
        assert_eq!(key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
