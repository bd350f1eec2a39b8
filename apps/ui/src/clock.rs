//! Time as the api writes it (RFC 3339), read without a date library in the bundle.

/// Milliseconds since the Unix epoch of an RFC 3339 time such as `2026-12-03T18:16:36.5Z` or
/// `2026-12-03T19:16:36+01:00`; None when it is not one.
pub fn epoch_ms(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        frac = format!("0.{}", &r[..digits]).parse().ok()?;
        rest = &r[digits..];
    }
    let offset_s = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && matches!(&o[..1], "+" | "-") && &o[3..4] == ":" => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Some((secs as f64 + frac) * 1000.0)
}

/// The day of an RFC 3339 time as people read it, e.g. `3 Dec 2026` (the day as written;
/// the api writes UTC).
pub fn date_label(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    epoch_ms(s)?;
    let (y, m, d) = (
        s.get(0..4)?,
        s.get(5..7)?.parse::<usize>().ok()?,
        s.get(8..10)?,
    );
    let d = d.trim_start_matches('0');
    Some(format!("{d} {} {y}", MONTHS.get(m.checked_sub(1)?)?))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::epoch_ms;

    #[test]
    fn reads_utc_offsets_and_fractions() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(epoch_ms("2000-03-01T00:00:00Z"), Some(951_868_800_000.0));
        assert_eq!(
            epoch_ms("2026-12-03T18:16:36.250Z"),
            Some(1_796_321_796_250.0)
        );
        assert_eq!(
            epoch_ms("2026-12-03T19:16:36.250+01:00"),
            epoch_ms("2026-12-03T18:16:36.250Z")
        );
        assert_eq!(
            epoch_ms("2026-12-03T18:16:36.123456789Z").map(|m| m.round()),
            Some(1_796_321_796_123.0)
        );
    }

    #[test]
    fn days_read_as_people_write_them() {
        assert_eq!(
            super::date_label("2026-12-03T18:16:36Z").as_deref(),
            Some("3 Dec 2026")
        );
        assert_eq!(
            super::date_label("2027-01-20T00:00:00+02:00").as_deref(),
            Some("20 Jan 2027")
        );
        assert_eq!(super::date_label("yesterday"), None);
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for bad in [
            "",
            "soon",
            "2026-13-01T00:00:00Z",
            "2026-12-03T18:16:36",
            "2026-12-03",
        ] {
            assert_eq!(epoch_ms(bad), None, "{bad}");
        }
    }
}
