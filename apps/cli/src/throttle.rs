//! An optional cap on the upload rate, shared by every part in flight (`--limit-rate`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    bytes_per_s: u64,
    state: Mutex<(Instant, u64)>,
}

impl Throttle {
    pub fn new(bytes_per_s: u64) -> Throttle {
        Throttle {
            bytes_per_s: bytes_per_s.max(1),
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Accounts for `n` bytes about to be sent and says how long to wait first.
    pub fn delay_for(&self, n: u64) -> Duration {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.1 += n;
        let due = Duration::from_secs_f64(s.1 as f64 / self.bytes_per_s as f64);
        due.saturating_sub(s.0.elapsed())
    }
}

/// Parses `500K`, `8M`, `1G` or a plain number of bytes per second.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1024),
        Some('m' | 'M') => (&s[..s.len() - 1], 1024 * 1024),
        Some('g' | 'G') => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a rate like 500K, 8M or 1G"))?;
    if n <= 0.0 {
        return Err("the rate must be positive".into());
    }
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_suffixes() {
        assert_eq!(parse_rate("8M"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_rate("1.5k"), Ok(1536));
        assert_eq!(parse_rate("100"), Ok(100));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("-1M").is_err());
    }

    #[test]
    fn the_throttle_paces_to_the_rate() {
        let t = Throttle::new(1000);
        assert!(t.delay_for(0) <= Duration::from_millis(1));
        let d = t.delay_for(500);
        assert!(d > Duration::from_millis(400) && d <= Duration::from_millis(500));
    }
}
