//! The proxy environment variables, read as curl reads them.

use super::config::{Proxy, ProxyServer};
use super::no_proxy::NoProxy;
use crate::Error;

/// Every variable [`Proxy::from_env`] reads.
pub(super) const VARIABLES: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// The `Proxy` the variables describe; see [`Proxy::from_env`] for the rules.
pub(super) fn from_vars<I, K, V>(vars: I) -> Result<Proxy, Error>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let vars: Vec<(K, V)> = vars.into_iter().collect();
    // The first non-empty value of the first name set.
    let lookup = |names: &[&'static str]| {
        names.iter().find_map(|&name| {
            vars.iter()
                .find(|(key, value)| key.as_ref() == name && !value.as_ref().trim().is_empty())
                .map(|(_, value)| (name, value.as_ref()))
        })
    };
    let cgi = lookup(&["REQUEST_METHOD"]).is_some();
    let plain_names: &[&'static str] = if cgi {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let server = |found: Option<(&'static str, &str)>| {
        found
            .map(|(name, value)| {
                ProxyServer::parse(value)
                    .map_err(|why| Error::InvalidUrl(format!("proxy variable {name}: {why}")))
            })
            .transpose()
    };
    Ok(Proxy {
        plain: server(lookup(plain_names))?,
        secure: server(lookup(&[
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ]))?,
        no_proxy: lookup(&["no_proxy", "NO_PROXY"])
            .map(|(_, list)| NoProxy::parse(list))
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(vars: &[(&str, &str)]) -> Proxy {
        from_vars(vars.iter().copied()).unwrap()
    }

    fn via(proxy: &Proxy, url: &str) -> Option<String> {
        proxy.proxy_for(url).unwrap()
    }

    #[test]
    fn nothing_set_means_direct() {
        let p = proxy(&[("PATH", "/bin"), ("no_proxy", "x")]);
        assert_eq!(via(&p, "ws://example.com/"), None);
        assert_eq!(via(&p, "wss://example.com/"), None);
    }

    #[test]
    fn scheme_variables_then_all_proxy() {
        let p = proxy(&[("http_proxy", "plain:1"), ("https_proxy", "secure:2")]);
        assert_eq!(via(&p, "ws://h/").as_deref(), Some("plain:1"));
        assert_eq!(via(&p, "wss://h/").as_deref(), Some("secure:2"));

        let p = proxy(&[("HTTPS_PROXY", "secure:2"), ("ALL_PROXY", "all:3")]);
        assert_eq!(via(&p, "ws://h/").as_deref(), Some("all:3"));
        assert_eq!(via(&p, "wss://h/").as_deref(), Some("secure:2"));

        let p = proxy(&[("all_proxy", "lower:1"), ("ALL_PROXY", "upper:2")]);
        assert_eq!(via(&p, "wss://h/").as_deref(), Some("lower:1"));
    }

    #[test]
    fn lower_case_wins_and_empty_counts_as_unset() {
        let p = proxy(&[("HTTP_PROXY", "upper:1"), ("http_proxy", "lower:2")]);
        assert_eq!(via(&p, "ws://h/").as_deref(), Some("lower:2"));
        let p = proxy(&[("http_proxy", " "), ("HTTP_PROXY", "upper:1")]);
        assert_eq!(via(&p, "ws://h/").as_deref(), Some("upper:1"));
        let p = proxy(&[("https_proxy", ""), ("all_proxy", "all:3")]);
        assert_eq!(via(&p, "wss://h/").as_deref(), Some("all:3"));
    }

    #[test]
    fn upper_case_http_proxy_is_ignored_under_cgi() {
        let p = proxy(&[("HTTP_PROXY", "evil:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(via(&p, "ws://h/"), None);
        let p = proxy(&[
            ("HTTP_PROXY", "evil:1"),
            ("http_proxy", "mine:2"),
            ("REQUEST_METHOD", "GET"),
        ]);
        assert_eq!(via(&p, "ws://h/").as_deref(), Some("mine:2"));
    }

    #[test]
    fn no_proxy_applies_to_both_schemes() {
        let p = proxy(&[
            ("http_proxy", "plain:1"),
            ("https_proxy", "secure:2"),
            ("NO_PROXY", "localhost, .internal ,10.0.0.0/8"),
        ]);
        assert_eq!(via(&p, "ws://localhost:8080/"), None);
        assert_eq!(via(&p, "wss://api.internal/"), None);
        assert_eq!(via(&p, "wss://10.1.2.3/"), None);
        assert_eq!(via(&p, "wss://example.com/").as_deref(), Some("secure:2"));
        let p = proxy(&[("all_proxy", "all:3"), ("no_proxy", "*")]);
        assert_eq!(via(&p, "ws://anything/"), None);
        // Lower case wins for no_proxy too.
        let p = proxy(&[
            ("all_proxy", "all:3"),
            ("no_proxy", "a.com"),
            ("NO_PROXY", "b.com"),
        ]);
        assert_eq!(via(&p, "ws://a.com/"), None);
        assert_eq!(via(&p, "ws://b.com/").as_deref(), Some("all:3"));
    }

    #[test]
    fn a_bad_variable_is_an_error_naming_it_but_not_its_value() {
        let err = from_vars([("https_proxy", "socks5://u:hunter2@h:1")]).unwrap_err();
        match err {
            Error::InvalidUrl(why) => {
                assert!(why.contains("https_proxy"), "{why}");
                assert!(!why.contains("hunter2"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn credentials_from_the_environment() {
        let p = proxy(&[("https_proxy", "http://user:pw@secure:2")]);
        let server = p.select(true, "example.com", 443).unwrap();
        assert_eq!(server.authorization.as_ref().unwrap(), "Basic dXNlcjpwdw==");
    }
}
