//! Routes: regular expressions matched against the whole path, as Tornado's `URLSpec`.

use std::sync::Arc;

use regex::Regex;

use super::handler::PathArgs;
use super::upgrade::ServeFn;

pub(crate) struct Route {
    pattern: Regex,
    serve: Arc<ServeFn>,
}

/// The routes of an application, tried in order.
#[derive(Default)]
pub(crate) struct Router {
    routes: Vec<Route>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|r| r.pattern.as_str()))
            .finish()
    }
}

impl Router {
    /// Adds a route; the pattern must match the whole path (Tornado appends `$`).
    pub(crate) fn add(&mut self, pattern: &str, serve: Arc<ServeFn>) -> Result<(), regex::Error> {
        let pattern = Regex::new(&format!("^(?:{pattern})$"))?;
        self.routes.push(Route { pattern, serve });
        Ok(())
    }

    /// Whether there are no routes.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The first route matching `path`, with its captured groups.
    pub(crate) fn find(&self, path: &str) -> Option<(Arc<ServeFn>, PathArgs)> {
        self.routes.iter().find_map(|route| {
            let captures = route.pattern.captures(path)?;
            let mut args = PathArgs::default();
            for (index, name) in route.pattern.capture_names().enumerate().skip(1) {
                let value = captures.get(index).map_or("", |m| m.as_str()).to_owned();
                match name {
                    Some(name) => {
                        args.named.insert(name.to_owned(), value);
                    }
                    None => args.positional.push(value),
                }
            }
            Some((Arc::clone(&route.serve), args))
        })
    }
}
