//! When a token fails a time check because the local clock is wrong (a
//! device that booted in 1970, a clock set years ahead), the message says
//! so, with what the clock reads.

use std::time::{Duration, UNIX_EPOCH};

use ropc::jwt::JwtError;

/// No clock that reads before this is right: 2025-01-01T00:00:00Z, before
/// this ropc was released.
const EARLIEST_PLAUSIBLE: i64 = 1_735_689_600;

/// A gap between the clock and a token's times beyond which the clock, not
/// the token, is the likely culprit: a day.
const IMPLAUSIBLE_GAP: i64 = 24 * 3600;

/// What to add to a failed time check's message when the local clock looks
/// wrong: it reads before ropc existed, or a day or more before the token
/// was issued.
pub(crate) fn hint(e: &JwtError) -> Option<String> {
    let (now, issued) = match e {
        JwtError::IssuedInFuture { iat, now } => (*now, Some(*iat)),
        JwtError::NotYetValid { nbf, now } => (*now, Some(*nbf)),
        JwtError::Expired { now, .. } => (*now, None),
        _ => return None,
    };
    let reads = format!("the local clock reads {}", date(now));
    if now < EARLIEST_PLAUSIBLE {
        return Some(format!(
            "{reads}, before this ropc was released: the local clock looks wrong — is it set (NTP)?"
        ));
    }
    match issued {
        Some(at) if at.saturating_sub(now) >= IMPLAUSIBLE_GAP => Some(format!(
            "{reads}, {} before the token was issued: the local clock looks wrong",
            span(at.saturating_sub(now))
        )),
        _ => None,
    }
}

/// `2026-12-05 10:20:30 UTC`-like text of a time (an HTTP-date), or the
/// number when it is out of range.
fn date(secs: i64) -> String {
    match u64::try_from(secs) {
        Ok(s) if secs <= ropc::jwt::MAX_NUMERIC_DATE => {
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s))
        }
        _ => format!("{secs} s since 1970"),
    }
}

/// A gap in the largest whole unit: `3 years`, `5 days`, `2 hours`.
fn span(secs: i64) -> String {
    let (n, unit) = match secs {
        s if s >= 365 * 86_400 => (s / (365 * 86_400), "year"),
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3600 => (s / 3600, "hour"),
        s => (s / 60, "minute"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_in_1970_is_named() {
        let e = JwtError::IssuedInFuture {
            iat: 1_800_000_000,
            now: 5,
        };
        let hint = hint(&e).unwrap();
        assert!(hint.contains("Thu, 01 Jan 1970 00:00:05 GMT"), "{hint}");
        assert!(hint.contains("looks wrong"), "{hint}");
    }

    #[test]
    fn a_clock_days_behind_the_token_is_named() {
        let e = JwtError::NotYetValid {
            nbf: 1_800_000_000 + 3 * 86_400,
            now: 1_800_000_000,
        };
        assert!(hint(&e).unwrap().contains("3 days before"));
        // Minutes apart: the token's business, no hint.
        let close = JwtError::IssuedInFuture {
            iat: 1_800_000_600,
            now: 1_800_000_000,
        };
        assert_eq!(hint(&close), None);
        assert_eq!(hint(&JwtError::Signature), None);
    }
}
