//! `no_proxy`: the hosts reached without the proxy, in curl's syntax (plus ports).

use std::net::IpAddr;

/// What one entry matches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    /// A host name and every name under it (lower case, no leading or trailing dot).
    Domain(String),
    /// Addresses whose first `prefix` bits equal the network's (a single address when the
    /// prefix is the whole length).
    Net(IpAddr, u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    pattern: Pattern,
    /// Only this port, when given.
    port: Option<u16>,
}

/// A parsed `no_proxy` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    /// `*`: nothing goes through the proxy.
    all: bool,
    entries: Vec<Entry>,
}

impl NoProxy {
    /// Parses a list separated by commas or whitespace; unreadable entries are skipped.
    pub(crate) fn parse(list: &str) -> Self {
        let mut parsed = Self::default();
        for item in list.split(|c: char| c == ',' || c.is_whitespace()) {
            match item {
                "" => {}
                "*" => parsed.all = true,
                _ => parsed.entries.extend(parse_entry(item)),
            }
        }
        parsed
    }

    /// Adds `other`'s entries to these.
    pub(crate) fn extend(&mut self, other: Self) {
        self.all |= other.all;
        self.entries.extend(other.entries);
    }

    /// Whether a connection to `host` (a name, or an IP address with or without brackets)
    /// on `port` bypasses the proxy.
    pub(crate) fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let host = unbracket(host);
        let ip = host.parse::<IpAddr>().ok();
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        self.entries.iter().any(|entry| {
            let host_matches = match (&entry.pattern, ip) {
                (Pattern::Net(net, prefix), Some(ip)) => in_network(ip, *net, *prefix),
                (Pattern::Domain(domain), None) => {
                    name == *domain
                        || name
                            .strip_suffix(domain.as_str())
                            .is_some_and(|head| head.ends_with('.'))
                }
                _ => false,
            };
            host_matches && entry.port.is_none_or(|only| only == port)
        })
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// One entry: `name`, `.name`, `*.name`, `ip`, `[ipv6]`, `ip/prefix`, each with an optional
/// `:port` (IPv6 only in brackets then).
fn parse_entry(item: &str) -> Option<Entry> {
    // A bare IPv6 address or range (several colons): no port.
    if item.matches(':').count() > 1 && !item.starts_with('[') {
        return Some(Entry {
            pattern: parse_address(item)?,
            port: None,
        });
    }
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?.parse().ok()?),
        };
        (host, port)
    } else {
        match item.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse().ok()?)),
            None => (item, None),
        }
    };
    let pattern = match parse_address(host) {
        Some(pattern) => pattern,
        None => {
            let domain = host
                .strip_prefix("*.")
                .or_else(|| host.strip_prefix('.'))
                .unwrap_or(host)
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if domain.is_empty() || domain.contains('/') {
                return None;
            }
            Pattern::Domain(domain)
        }
    };
    Some(Entry { pattern, port })
}

/// `ip` or `ip/prefix`.
fn parse_address(text: &str) -> Option<Pattern> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let ip = address.parse::<IpAddr>().ok()?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(bits);
    (prefix <= bits).then_some(Pattern::Net(ip, prefix))
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let (ip, net, bits) = match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            (u128::from(u32::from(ip)), u128::from(u32::from(net)), 32u32)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => (u128::from(ip), u128::from(net), 128),
        _ => return false,
    };
    let prefix = u32::from(prefix);
    if prefix == 0 {
        return true;
    }
    let shift = bits - prefix;
    (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bypass(list: &str, host: &str, port: u16) -> bool {
        NoProxy::parse(list).matches(host, port)
    }

    #[test]
    fn domains_match_themselves_and_their_subdomains() {
        for list in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(bypass(list, "example.com", 80), "{list}");
            assert!(bypass(list, "www.Example.com", 80), "{list}");
            assert!(bypass(list, "a.b.example.com.", 80), "{list}");
            assert!(!bypass(list, "notexample.com", 80), "{list}");
            assert!(!bypass(list, "example.com.evil", 80), "{list}");
        }
    }

    #[test]
    fn star_alone_matches_everything() {
        assert!(bypass("*", "anything", 1));
        assert!(bypass("a.com, *", "10.0.0.1", 1));
        assert!(!bypass("*.", "x", 1));
        assert!(!bypass("", "x", 1));
    }

    #[test]
    fn separators_and_blanks() {
        let list = " a.com,b.com  c.com,,\t d.com ";
        for host in ["a.com", "b.com", "c.com", "d.com"] {
            assert!(bypass(list, host, 80), "{host}");
        }
        assert!(!bypass(list, "e.com", 80));
    }

    #[test]
    fn ip_addresses_and_ranges() {
        assert!(bypass("127.0.0.1", "127.0.0.1", 80));
        assert!(!bypass("127.0.0.1", "127.0.0.2", 80));
        assert!(bypass("10.0.0.0/8", "10.200.3.4", 80));
        assert!(!bypass("10.0.0.0/8", "11.0.0.1", 80));
        assert!(bypass("192.168.1.7/32", "192.168.1.7", 80));
        assert!(bypass("0.0.0.0/0", "8.8.8.8", 80));
        assert!(bypass("::1", "[::1]", 80));
        assert!(bypass("[::1]", "::1", 80));
        assert!(bypass("fd00::/8", "fd12:3456::1", 80));
        assert!(!bypass("fd00::/8", "fe80::1", 80));
        // Families never mix, names are not resolved, and a range is not a name.
        assert!(!bypass("127.0.0.1", "::ffff:127.0.0.1", 80));
        assert!(!bypass("127.0.0.1", "localhost", 80));
        assert!(!bypass("localhost", "127.0.0.1", 80));
        assert!(!bypass("10.0.0.0/33", "10.0.0.1", 80));
    }

    #[test]
    fn ports_restrict_an_entry() {
        assert!(bypass("example.com:8080", "example.com", 8080));
        assert!(!bypass("example.com:8080", "example.com", 80));
        assert!(bypass("127.0.0.1:9000", "127.0.0.1", 9000));
        assert!(!bypass("127.0.0.1:9000", "127.0.0.1", 9001));
        assert!(bypass("[::1]:9000", "::1", 9000));
        assert!(!bypass("[::1]:9000", "::1", 9001));
        // A port that is not a number drops the entry.
        assert!(!bypass("example.com:http", "example.com", 80));
    }

    #[test]
    fn extend_merges() {
        let mut a = NoProxy::parse("a.com");
        a.extend(NoProxy::parse("b.com"));
        assert!(a.matches("a.com", 1) && a.matches("b.com", 1));
        a.extend(NoProxy::parse("*"));
        assert!(a.matches("c.com", 1));
    }
}
