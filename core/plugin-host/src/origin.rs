//! HTTP origins a plugin may call, and which addresses count as private.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// `scheme://host[:port]`, where the host may start with `*.` to match any subdomain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    wildcard: bool,
    port: u16,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
}

impl Origin {
    /// Parses an origin as written in a manifest.
    pub fn parse(text: &str) -> Result<Origin, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("{text:?} is not scheme://host[:port]"))?;
        if scheme != "http" && scheme != "https" {
            return Err(format!("{text:?}: only http and https can be granted"));
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "{text:?}: an origin has no path, query or user; write scheme://host[:port]"
            ));
        }
        let (wildcard, rest) = match rest.strip_prefix("*.") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let url = Url::parse(&format!("{scheme}://{rest}/"))
            .map_err(|e| format!("{text:?} is not a valid origin: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("{text:?} has no host"))?
            .to_ascii_lowercase();
        if wildcard && host.parse::<IpAddr>().is_ok() {
            return Err(format!("{text:?}: a wildcard needs a domain name"));
        }
        Ok(Origin {
            scheme: scheme.to_string(),
            port: url.port().unwrap_or(default_port(scheme)),
            host,
            wildcard,
        })
    }

    /// Whether `url` is on this origin.
    pub fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let own = self.host.trim_start_matches('[').trim_end_matches(']');
        let host_ok = if self.wildcard {
            host.len() > own.len()
                && host.ends_with(own)
                && host[..host.len() - own.len()].ends_with('.')
        } else {
            host == own
        };
        url.scheme() == self.scheme && host_ok && url.port_or_known_default() == Some(self.port)
    }
}

/// Whether an address is loopback, private, link-local or otherwise not on the public
/// internet: a plugin reaches these only when an admin granted private addresses.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => private_v4(v4),
            None => private_v6(v6),
        },
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || ip
            .to_ipv4()
            .is_some_and(|v4| ip.segments()[..6] == [0; 6] && private_v4(v4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let slack = Origin::parse("https://hooks.slack.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(slack.matches(&url("https://hooks.slack.com/services/T/B/X")));
        assert!(slack.matches(&url("https://HOOKS.slack.com:443/x")));
        assert!(!slack.matches(&url("http://hooks.slack.com/x")));
        assert!(!slack.matches(&url("https://hooks.slack.com:8443/x")));
        assert!(!slack.matches(&url("https://hooks.slack.com.evil.test/x")));
        assert!(!slack.matches(&url("https://evilhooks.slack.com/x")));

        let any = Origin::parse("https://*.example.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(any.matches(&url("https://api.example.com/")));
        assert!(any.matches(&url("https://a.b.example.com/")));
        assert!(!any.matches(&url("https://example.com/")));
        assert!(!any.matches(&url("https://badexample.com/")));

        let local = Origin::parse("http://127.0.0.1:8080").unwrap_or_else(|e| panic!("{e}"));
        assert!(local.matches(&url("http://127.0.0.1:8080/hook")));
        assert!(!local.matches(&url("http://127.0.0.1:8081/hook")));
    }

    #[test]
    fn origins_with_paths_users_or_other_schemes_are_refused() {
        for bad in [
            "hooks.slack.com",
            "ftp://example.com",
            "https://example.com/path",
            "https://user@example.com",
            "https://*.10.0.0.1",
            "https://",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let parsed: IpAddr = ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"));
            assert!(is_private(parsed), "{ip} should be private");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            let parsed: IpAddr = ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"));
            assert!(!is_private(parsed), "{ip} should be public");
        }
    }
}
