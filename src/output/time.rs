//! Time as the output shows it: RFC 3339 in UTC with microseconds,
//! `2026-11-27T19:53:30.123456Z`, formatted without allocating (JSON lines carry
//! one per line).
//!
//! This module only formats; it never reads the clock.

use std::fmt;
use std::time::SystemTime;

/// Formats `t` as RFC 3339 in UTC with microseconds: `2026-11-27T19:53:30.123456Z`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let t = SystemTime::UNIX_EPOCH + Duration::from_micros(951_782_400_000_007);
/// assert_eq!(nlwatch::output::rfc3339(t), "2000-02-29T00:00:00.000007Z");
/// ```
pub fn rfc3339(t: SystemTime) -> String {
    Rfc3339(t).to_string()
}

/// `Display` of a time as RFC 3339 in UTC with microseconds, written without
/// allocating (JSON lines format one per event).
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub SystemTime);

impl Rfc3339 {
    /// The latest time written as itself (9999-12-31T23:59:59Z); later times are
    /// written as this one, earlier than 1970 as 1970-01-01T00:00:00Z.
    const MAX_SECS: u64 = 253_402_300_799;

    /// The 27 ASCII bytes of the text.
    pub fn to_bytes(&self) -> [u8; 27] {
        let d = self
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let (secs, micros) = if d.as_secs() > Self::MAX_SECS {
            (Self::MAX_SECS, 999_999)
        } else {
            (d.as_secs(), d.subsec_micros())
        };
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year as u64);
        put(5, 2, month as u64);
        put(8, 2, day as u64);
        put(11, 2, rem / 3600);
        put(14, 2, rem % 3600 / 60);
        put(17, 2, rem % 60);
        put(20, 6, micros.into());
        b
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        // ASCII digits and separators only.
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_in_utc_with_microseconds() {
        let at = |secs: u64, micros: u64| {
            rfc3339(
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros),
            )
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        // A leap day, and the last second of a year.
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(1_798_761_599, 999_999), "2026-12-31T23:59:59.999999Z");
    }

    #[test]
    fn times_past_year_9999_are_written_as_its_last_second() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(400_000_000_000);
        assert_eq!(Rfc3339(t).to_string(), "9999-12-31T23:59:59.999999Z");
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(Rfc3339(before).to_string(), "1970-01-01T00:00:00.000000Z");
    }
}
