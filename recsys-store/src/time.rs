//! Time as the store keeps it: milliseconds since the Unix epoch (UTC), and calendar days.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

const MS_PER_DAY: i64 = 86_400_000;

/// The current time in milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A calendar day in UTC, stored and shown as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day {
    /// Days since 1970-01-01.
    days: i64,
}

impl Day {
    /// The day a timestamp falls on.
    pub fn of(at: Millis) -> Day {
        Day {
            days: at.div_euclid(MS_PER_DAY),
        }
    }

    /// Today (UTC).
    pub fn today() -> Day {
        Day::of(now_ms())
    }

    /// The day from year, month (1-12) and day of month; `None` for dates that do not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Day {
            days: days_from_civil(year as i64, month as i64, day as i64),
        })
    }

    /// First millisecond of the day.
    pub fn start_ms(self) -> Millis {
        self.days * MS_PER_DAY
    }

    /// First millisecond of the next day.
    pub fn end_ms(self) -> Millis {
        self.start_ms() + MS_PER_DAY
    }

    /// The following day.
    pub fn next(self) -> Day {
        Day {
            days: self.days + 1,
        }
    }

    /// (year, month, day of month).
    pub fn ymd(self) -> (i32, u32, u32) {
        // Howard Hinnant's civil_from_days
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y as i32, m as u32, d as u32)
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Day {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Day, StoreError> {
        let bad =
            || StoreError::invalid("day", format!("expected a date as YYYY-MM-DD, got '{s}'"));
        let mut parts = s.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let (y, m, d) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        Day::from_ymd(y, m, d).ok_or_else(bad)
    }
}

impl TryFrom<String> for Day {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Day, StoreError> {
        s.parse()
    }
}

impl From<Day> for String {
    fn from(day: Day) -> String {
        day.to_string()
    }
}

/// A moment as RFC 3339 text in UTC with milliseconds (`2024-05-01T09:30:00.000Z`): how exports
/// write times, and one of the forms [`parse_timestamp`] reads.
pub fn format_timestamp(at: Millis) -> String {
    let day = Day::of(at);
    let ms = at.rem_euclid(MS_PER_DAY);
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{day}T{h:02}:{m:02}:{s:02}.{frac:03}Z")
}

/// A moment from text: RFC 3339 (`2024-05-01T09:30:00Z`, with an optional fraction of a
/// second and an offset `Z`, `+02:00` or `-05:00`; a space may stand for the `T`), a bare date
/// (`2024-05-01`, its first millisecond in UTC), or whole milliseconds since the Unix epoch.
/// The error says which forms are accepted.
pub fn parse_timestamp(text: &str) -> Result<Millis, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "\"{t}\" is not a time (RFC 3339 such as 2024-05-01T09:30:00Z, a date such as \
             2024-05-01, or milliseconds since 1970-01-01)"
        )
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<Millis>().map_err(|_| bad());
    }
    if t.len() < 10 || !t.is_char_boundary(10) {
        return Err(bad());
    }
    let (date, rest) = t.split_at(10);
    let day: Day = date.parse().map_err(|_| bad())?;
    if rest.is_empty() {
        return Ok(day.start_ms());
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    let b = rest.as_bytes();
    let two = |i: usize| -> Option<i64> {
        let d = b.get(i..i + 2)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| i64::from(d[0] - b'0') * 10 + i64::from(d[1] - b'0'))
    };
    let (Some(h), Some(m), Some(s)) = (two(0), two(3), two(6)) else {
        return Err(bad());
    };
    if b[2] != b':' || b[5] != b':' || h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    let mut i = 8;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                ms = ms * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        for _ in (i - start)..3 {
            ms *= 10;
        }
    }
    let offset_min = match &rest[i..] {
        "Z" | "z" => 0,
        zone if zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')) => {
            let zb = zone.as_bytes();
            let (Some(oh), Some(om)) = (
                zone[1..3].parse::<i64>().ok(),
                zone[4..6].parse::<i64>().ok(),
            ) else {
                return Err(bad());
            };
            if zb[3] != b':' || oh > 23 || om > 59 {
                return Err(bad());
            }
            let sign = if zb[0] == b'-' { -1 } else { 1 };
            sign * (oh * 60 + om)
        }
        _ => return Err(bad()),
    };
    Ok(day.start_ms() + ((h * 60 + m - offset_min) * 60 + s) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_text_and_civil_dates() {
        for days in [
            -700_000, -1, 0, 1, 59, 365, 11_016, 19_000, 20_513, 2_000_000,
        ] {
            let day = Day { days };
            let text = day.to_string();
            assert_eq!(text.parse::<Day>().unwrap(), day, "{text}");
            let (y, m, d) = day.ymd();
            assert_eq!(Day::from_ymd(y, m, d), Some(day));
        }
        assert_eq!(Day::of(0).to_string(), "1970-01-01");
        assert_eq!(Day::of(951_782_400_000).to_string(), "2000-02-29");
        assert_eq!(Day::of(-1).to_string(), "1969-12-31");
    }

    #[test]
    fn impossible_dates_are_errors() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-01-01",
            "2024-1-1",
            "x",
            "",
        ] {
            assert!(bad.parse::<Day>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<Day>().is_ok());
    }

    #[test]
    fn timestamps_round_trip_and_read_every_documented_form() {
        for at in [0, 1, 999, 86_399_999, 1_714_555_800_123, -1, -86_400_001] {
            assert_eq!(parse_timestamp(&format_timestamp(at)), Ok(at), "{at}");
        }
        assert_eq!(
            format_timestamp(1_714_555_800_123),
            "2024-05-01T09:30:00.123Z"
        );
        for (text, at) in [
            ("2024-05-01T09:30:00Z", 1_714_555_800_000),
            ("2024-05-01 09:30:00.5Z", 1_714_555_800_500),
            ("2024-05-01T11:30:00.123456+02:00", 1_714_555_800_123),
            ("2024-05-01T04:30:00-05:00", 1_714_555_800_000),
            ("2024-05-01", 1_714_521_600_000),
            ("1714555800000", 1_714_555_800_000),
        ] {
            assert_eq!(parse_timestamp(text), Ok(at), "{text}");
        }
        for bad in [
            "",
            "2024-05-01T",
            "2024-05-01T25:00:00Z",
            "2024-05-01T09:30:00",
            "01/05/2024",
            "2024-05-01T09:30:00.Z",
            "2024-05-01T09:30:00+2:00",
            "-5",
            "2024-02-30",
        ] {
            let e = parse_timestamp(bad).unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }
}
