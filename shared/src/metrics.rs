//! The Prometheus text exposition format (version 0.0.4): families, samples and histograms,
//! written by `kino`'s and `kino-transcoder`'s `/metrics`. The format is a few lines of text
//! with one escaping rule, so it is written here rather than through a metrics framework.

use std::fmt::Write;

/// Text in the exposition format, a family at a time.
#[derive(Debug, Default)]
pub struct Exposition(String);

impl Exposition {
    /// Starts a family: its help text and type.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample of the family last started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.0, "{k}=\"{v}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Observations counted into buckets by upper bound, with their sum.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Observations at or under each bound (not yet cumulative); the last slot holds those
    /// above every bound.
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: vec![0; bounds.len() + 1],
            count: 0,
            sum: 0.0,
        }
    }

    pub fn observe(&mut self, value: f64) {
        let i = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.buckets[i] += 1;
        self.count += 1;
        self.sum += value;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes `name_bucket` (cumulative, with `+Inf`), `name_sum` and `name_count` with
    /// `labels`.
    pub fn write(&self, out: &mut Exposition, name: &str, labels: &[(&str, &str)]) {
        let bucket = format!("{name}_bucket");
        let mut below = 0;
        for (bound, n) in self.bounds.iter().zip(&self.buckets) {
            below += n;
            let le = bound.to_string();
            let mut with = labels.to_vec();
            with.push(("le", &le));
            out.sample(&bucket, &with, below as f64);
        }
        let mut with = labels.to_vec();
        with.push(("le", "+Inf"));
        out.sample(&bucket, &with, self.count as f64);
        out.sample(&format!("{name}_sum"), labels, self.sum);
        out.sample(&format!("{name}_count"), labels, self.count as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("x", &[("a", "say \"hi\"\\\n")], 1.0);
        assert_eq!(out.into_string(), "x{a=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
    }

    #[test]
    fn histograms_are_cumulative_with_everything_under_inf() {
        let mut h = Histogram::new(&[1.0, 2.0]);
        for v in [0.5, 1.5, 1.5, 9.0] {
            h.observe(v);
        }
        let mut out = Exposition::default();
        h.write(&mut out, "t", &[("k", "v")]);
        assert_eq!(
            out.into_string(),
            "t_bucket{k=\"v\",le=\"1\"} 1\nt_bucket{k=\"v\",le=\"2\"} 3\n\
             t_bucket{k=\"v\",le=\"+Inf\"} 4\nt_sum{k=\"v\"} 12.5\nt_count{k=\"v\"} 4\n"
        );
    }
}
