//! Assignment ends as a plan compares them and as people read them: to the second, and never two alike.

use chrono::{DateTime, Timelike, Utc};

/// Whether two ends (`None`: permanent) are the same for a plan: compared to the second, as Graph and ARM keep
/// them (a sub-second difference is the service's rounding, not drift).
pub fn same_instant(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.timestamp() == b.timestamp(),
        (None, None) => true,
        _ => false,
    }
}

/// A date as people read it: the day alone when the time is midnight or the last second of a day, else the day
/// and the time in UTC.
pub fn when(t: DateTime<Utc>) -> String {
    let hms = (t.hour(), t.minute(), t.second());
    let pattern = if hms == (0, 0, 0) || hms == (23, 59, 59) {
        "%Y-%m-%d"
    } else {
        "%Y-%m-%d %H:%M UTC"
    };
    t.format(pattern).to_string()
}

/// Two ends as a reviewer tells them apart: as [`when`] shows them, or, where that would read alike (the same
/// day at midnight and at its last second, or the same minute), both to the second in UTC. Ends that are not
/// [`same_instant`] therefore never read alike; ends that are may (they are no change).
pub fn ends_apart(a: DateTime<Utc>, b: DateTime<Utc>) -> (String, String) {
    let (x, y) = (when(a), when(b));
    if x != y {
        return (x, y);
    }
    let full = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    (full(a), full(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn on(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 5, 10, h, m, s).unwrap()
    }

    #[test]
    fn days_show_alone_at_day_boundaries_and_with_the_time_otherwise() {
        assert_eq!(when(on(23, 59, 59)), "2027-05-10");
        assert_eq!(when(on(0, 0, 0)), "2027-05-10");
        assert_eq!(when(on(12, 30, 0)), "2027-05-10 12:30 UTC");
    }

    #[test]
    fn ends_on_different_days_read_as_days() {
        let later = on(23, 59, 59) + chrono::Duration::days(51);
        assert_eq!(
            ends_apart(on(23, 59, 59), later),
            ("2027-05-10".to_string(), "2027-06-30".to_string())
        );
        assert_eq!(
            ends_apart(on(12, 30, 0), later),
            ("2027-05-10 12:30 UTC".to_string(), "2027-06-30".to_string())
        );
    }

    #[test]
    fn ends_that_would_read_alike_are_shown_to_the_second() {
        // A declared `until: 2027-05-10` (the day's last second) against a tenant end set at midnight.
        assert_eq!(
            ends_apart(on(0, 0, 0), on(23, 59, 59)),
            (
                "2027-05-10 00:00:00 UTC".to_string(),
                "2027-05-10 23:59:59 UTC".to_string()
            )
        );
        // The same minute, seconds apart.
        assert_eq!(
            ends_apart(on(12, 30, 15), on(12, 30, 0)),
            (
                "2027-05-10 12:30:15 UTC".to_string(),
                "2027-05-10 12:30:00 UTC".to_string()
            )
        );
        // Different times on one day that already read apart keep the shorter form.
        assert_eq!(
            ends_apart(on(12, 30, 0), on(23, 59, 59)),
            ("2027-05-10 12:30 UTC".to_string(), "2027-05-10".to_string())
        );
    }

    #[test]
    fn ends_a_second_apart_read_apart_and_sub_second_ones_are_the_same_instant() {
        let ms = |n| chrono::Duration::milliseconds(n);
        assert!(same_instant(
            Some(on(12, 0, 0) + ms(999)),
            Some(on(12, 0, 0))
        ));
        assert!(!same_instant(
            Some(on(12, 0, 1)),
            Some(on(12, 0, 0) + ms(999))
        ));
        // Every pair of distinct seconds across a day boundary and a minute reads apart.
        let base = on(23, 58, 0);
        for i in 0..180 {
            for j in 0..180 {
                let (a, b) = (
                    base + chrono::Duration::seconds(i),
                    base + chrono::Duration::seconds(j),
                );
                if !same_instant(Some(a), Some(b)) {
                    let (x, y) = ends_apart(a + ms(500), b);
                    assert_ne!(x, y, "{a} and {b}");
                }
            }
        }
    }
}
