//! Which close code and reason a side reports once the close handshake ends: the one rule
//! the protocol core and the browser backend share.

use crate::CloseCode;

/// The code and reason to report when the peer's close frame arrives (RFC 6455 §7.1.5):
/// this side's own close, `sent`, when it closed first and the peer `answered` it;
/// otherwise the peer's code ([`CloseCode::NO_STATUS`], 1005, when its frame had none)
/// and reason.
pub(crate) fn reported_close(
    sent: Option<&(CloseCode, String)>,
    answered: bool,
    peer_code: Option<CloseCode>,
    peer_reason: String,
) -> (CloseCode, String) {
    match sent {
        Some((code, reason)) if answered => (*code, reason.clone()),
        _ => (peer_code.unwrap_or(CloseCode::NO_STATUS), peer_reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_close_when_answered_else_the_peer_s() {
        let sent = (CloseCode::NORMAL, "bye".to_owned());
        let peer = || (Some(CloseCode::GOING_AWAY), "later".to_owned());
        let (code, reason) = peer();
        assert_eq!(
            reported_close(Some(&sent), true, code, reason),
            (CloseCode::NORMAL, "bye".to_owned())
        );
        let (code, reason) = peer();
        assert_eq!(
            reported_close(Some(&sent), false, code, reason),
            (CloseCode::GOING_AWAY, "later".to_owned())
        );
        let (code, reason) = peer();
        assert_eq!(
            reported_close(None, true, code, reason),
            (CloseCode::GOING_AWAY, "later".to_owned())
        );
        assert_eq!(
            reported_close(None, true, None, String::new()),
            (CloseCode::NO_STATUS, String::new())
        );
    }
}
