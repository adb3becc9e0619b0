//! Durations as the language writes them (`30m`, `8h`, `90d`, `PT1H45M`) and as Graph wants them (`Edm.Duration`).
//!
//! Graph's `Edm.Duration` has no year, month or week units (digest §6): `P365D`, never `P1Y`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A non-negative duration with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    secs: u64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self { secs }
    }
    pub const fn from_minutes(m: u64) -> Self {
        Self { secs: m * MINUTE }
    }
    pub const fn from_hours(h: u64) -> Self {
        Self { secs: h * HOUR }
    }
    pub const fn from_days(d: u64) -> Self {
        Self { secs: d * DAY }
    }
    pub const fn as_secs(self) -> u64 {
        self.secs
    }
    /// Whole days, when the duration is a whole number of days.
    pub const fn whole_days(self) -> Option<u64> {
        if self.secs.is_multiple_of(DAY) {
            Some(self.secs / DAY)
        } else {
            None
        }
    }
    /// As a chrono duration, for comparisons: saturates at chrono's largest (about 292 million years) instead of
    /// panicking, so a huge duration compares as longer than any span between two dates.
    pub fn to_chrono(self) -> chrono::Duration {
        i64::try_from(self.secs)
            .ok()
            .and_then(chrono::Duration::try_seconds)
            .unwrap_or(chrono::Duration::MAX)
    }

    /// The instant this long after `t`; `None` past the last instant chrono can represent. Every "date plus
    /// duration" goes through here, so that no input can make the arithmetic overflow.
    pub fn after(self, t: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        let d = chrono::Duration::try_seconds(i64::try_from(self.secs).ok()?)?;
        t.checked_add_signed(d)
    }

    /// Parses the short form (`30m`, `1h30m`, `90d`) or ISO 8601 (`PT1H30M`, `P90D`).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DurationError::Empty);
        }
        if t.starts_with('P') || t.starts_with('p') {
            parse_iso(t)
        } else {
            parse_short(t)
        }
    }

    /// The ISO 8601 form Graph uses: `PT8H`, `P365D`, `PT1H45M`, `P1DT12H`; zero is `PT0S`.
    pub fn to_iso(self) -> String {
        let (d, h, m, s) = self.parts();
        let mut out = String::from("P");
        if d > 0 {
            out.push_str(&format!("{d}D"));
        }
        if h > 0 || m > 0 || s > 0 || d == 0 {
            out.push('T');
            if h > 0 {
                out.push_str(&format!("{h}H"));
            }
            if m > 0 {
                out.push_str(&format!("{m}M"));
            }
            if s > 0 || (d == 0 && h == 0 && m == 0) {
                out.push_str(&format!("{s}S"));
            }
        }
        out
    }

    fn parts(self) -> (u64, u64, u64, u64) {
        let d = self.secs / DAY;
        let h = (self.secs % DAY) / HOUR;
        let m = (self.secs % HOUR) / MINUTE;
        let s = self.secs % MINUTE;
        (d, h, m, s)
    }
}

/// The short form, for people: `30m`, `8h`, `365d`, `1h30m`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, h, m, s) = self.parts();
        if self.secs == 0 {
            return f.write_str("0m");
        }
        for (v, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
            if v > 0 {
                write!(f, "{v}{unit}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("the duration is empty")]
    Empty,
    #[error(
        "`{0}` uses a year, month or week unit, which Graph does not accept; write days instead (for example P365D or 365d)"
    )]
    CalendarUnit(String),
    #[error(
        "`{0}` is not a duration; write a number and a unit (30m, 8h, 90d) or ISO 8601 (PT30M, PT8H, P90D)"
    )]
    Malformed(String),
    #[error("`{0}` is too large")]
    Overflow(String),
}

fn parse_short(t: &str) -> Result<Duration, DurationError> {
    let malformed = || DurationError::Malformed(t.to_string());
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut last_rank = usize::MAX;
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (mult, rank) = match c {
            'd' | 'D' => (DAY, 3),
            'h' | 'H' => (HOUR, 2),
            'm' => (MINUTE, 1),
            's' | 'S' => (1, 0),
            'w' | 'W' | 'y' | 'Y' | 'M' => return Err(DurationError::CalendarUnit(t.to_string())),
            _ => return Err(malformed()),
        };
        if digits.is_empty() || rank >= last_rank {
            return Err(malformed());
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| DurationError::Overflow(t.into()))?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| DurationError::Overflow(t.into()))?;
        digits.clear();
        last_rank = rank;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(malformed());
    }
    Ok(Duration::from_secs(total))
}

fn parse_iso(t: &str) -> Result<Duration, DurationError> {
    let malformed = || DurationError::Malformed(t.to_string());
    let body = &t[1..];
    let (date, time) = match body.find(['T', 't']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut total: u64 = 0;
    let mut any = false;
    let mut add = |n: &str, mult: u64| -> Result<(), DurationError> {
        let n: u64 = n.parse().map_err(|_| DurationError::Overflow(t.into()))?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| DurationError::Overflow(t.into()))?;
        any = true;
        Ok(())
    };
    // Date part: only days.
    if !date.is_empty() {
        if date.contains(['Y', 'y', 'W', 'w']) || date.contains('M') || date.contains('m') {
            return Err(DurationError::CalendarUnit(t.to_string()));
        }
        let n = date.strip_suffix(['D', 'd']).ok_or_else(malformed)?;
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
            return Err(malformed());
        }
        add(n, DAY)?;
    }
    if let Some(time) = time {
        if time.is_empty() {
            return Err(malformed());
        }
        let mut digits = String::new();
        let mut last_rank = usize::MAX;
        for c in time.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (mult, rank) = match c.to_ascii_uppercase() {
                'H' => (HOUR, 2),
                'M' => (MINUTE, 1),
                'S' => (1, 0),
                _ => return Err(malformed()),
            };
            if digits.is_empty() || rank >= last_rank {
                return Err(malformed());
            }
            add(&digits, mult)?;
            digits.clear();
            last_rank = rank;
        }
        if !digits.is_empty() {
            return Err(malformed());
        }
    }
    if !any {
        return Err(malformed());
    }
    Ok(Duration::from_secs(total))
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_near_the_limits_never_panics() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
            .unwrap()
            .to_utc();
        for text in ["999999999d", "213503982334601d", "18446744073709551615s"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.after(now), None, "{text}");
            // Longer than the span between any two instants chrono can hold.
            assert!(
                d.to_chrono() > chrono::DateTime::<chrono::Utc>::MAX_UTC - now,
                "{text}"
            );
        }
        assert_eq!(
            Duration::from_days(1).after(now),
            Some(now + chrono::Duration::days(1))
        );
    }

    #[test]
    fn parses_short_and_iso_forms() {
        assert_eq!(Duration::parse("30m").unwrap(), Duration::from_minutes(30));
        assert_eq!(Duration::parse("8h").unwrap(), Duration::from_hours(8));
        assert_eq!(Duration::parse("90d").unwrap(), Duration::from_days(90));
        assert_eq!(
            Duration::parse("1h30m").unwrap(),
            Duration::from_minutes(90)
        );
        assert_eq!(Duration::parse("PT8H").unwrap(), Duration::from_hours(8));
        assert_eq!(Duration::parse("P365D").unwrap(), Duration::from_days(365));
        assert_eq!(
            Duration::parse("PT1H45M").unwrap(),
            Duration::from_minutes(105)
        );
        assert_eq!(
            Duration::parse("P1DT12H").unwrap(),
            Duration::from_hours(36)
        );
    }

    #[test]
    fn rejects_calendar_units_and_garbage() {
        for bad in [
            "P1Y", "P2W", "P1M", "2w", "1y", "", "h", "8", "8x", "PT", "P", "1m1h", "PTH",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad} parsed");
        }
        assert!(matches!(
            Duration::parse("P1Y"),
            Err(DurationError::CalendarUnit(_))
        ));
        assert!(matches!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn renders_graph_iso() {
        for (d, iso, short) in [
            (Duration::from_hours(8), "PT8H", "8h"),
            (Duration::from_days(365), "P365D", "365d"),
            (Duration::from_minutes(105), "PT1H45M", "1h45m"),
            (Duration::from_hours(36), "P1DT12H", "1d12h"),
            (Duration::from_secs(0), "PT0S", "0m"),
        ] {
            assert_eq!(d.to_iso(), iso);
            assert_eq!(d.to_string(), short);
            assert_eq!(Duration::parse(iso).unwrap(), d);
        }
    }
}
