//! Which end of the connection this side is.

/// Which end of the connection the core plays: it decides masking (clients mask, servers
/// must not), which side closes TCP first (the server) and which permessage-deflate
/// parameters describe this side's compressor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The side that opened the connection: masks every frame it sends.
    Client,
    /// The side that accepted the connection: never masks, and closes TCP first.
    Server,
}
