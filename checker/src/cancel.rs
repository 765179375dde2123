//! Cancelling from outside, the way a caller, a signal or a shutdown does.

use tokio_util::sync::CancellationToken;

use crate::clock::ms;

/// Cancels `token` `after_ms` from now, from a task of its own: the code
/// under test sees the cancel arrive while it works, as it would from a
/// caller, and is not the one that cancels.
pub fn cancel_after(token: &CancellationToken, after_ms: u64) {
    let token = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(after_ms)).await;
        token.cancel();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_cancelled_at_the_instant_asked_for() {
        crate::run(async {
            tokio::time::sleep(ms(200)).await;
            let token = CancellationToken::new();
            cancel_after(&token, 1100);
            token.cancelled().await;
            assert_eq!(crate::elapsed(), ms(1300));
        });
    }
}
