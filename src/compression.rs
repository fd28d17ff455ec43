//! Placeholder until the permessage-deflate work lands.

/// permessage-deflate options (placeholder).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompressionOptions {}
