//! Results: latency histograms and their percentiles, one report per scenario with its metrics and
//! its targets (from `shared/guide/performance.md`), printed as a table and written as JSON.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A latency histogram in microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Records a duration, clamped into the histogram's range.
pub fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = (latency.as_micros() as u64).clamp(1, 600_000_000);
    histogram.record(micros).expect("value is in range");
}

/// A histogram many tasks record into. Tasks batch their values locally and record them in bulk so
/// the lock is taken rarely.
#[derive(Clone)]
pub struct SharedHistogram(Arc<Mutex<Histogram<u64>>>);

impl Default for SharedHistogram {
    fn default() -> SharedHistogram {
        SharedHistogram(Arc::new(Mutex::new(new_histogram())))
    }
}

impl SharedHistogram {
    /// Records latencies given in microseconds, clamped into the histogram's range.
    pub fn record_all(&self, micros: &[u64]) {
        let mut histogram = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for &value in micros {
            histogram.record(value.clamp(1, 600_000_000)).expect("value is in range");
        }
    }

    pub fn snapshot(&self) -> Histogram<u64> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl LatencySummary {
    pub fn of(histogram: &Histogram<u64>) -> LatencySummary {
        if histogram.is_empty() {
            return LatencySummary::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        LatencySummary {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
            mean_ms: histogram.mean() / 1000.0,
        }
    }
}

/// One measured number.
#[derive(Clone, Debug, Serialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// A target of the guide and how this run did against it.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// Everything one scenario measured.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub id: String,
    pub title: String,
    pub parameters: serde_json::Value,
    pub metrics: Vec<Metric>,
    pub latencies: Vec<(String, LatencySummary)>,
    pub targets: Vec<TargetCheck>,
    pub notes: Vec<String>,
}

impl ScenarioReport {
    pub fn new(id: &str, title: &str, parameters: serde_json::Value) -> ScenarioReport {
        ScenarioReport {
            id: id.to_owned(),
            title: title.to_owned(),
            parameters,
            metrics: Vec::new(),
            latencies: Vec::new(),
            targets: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn metric(&mut self, name: &str, value: f64, unit: &str) {
        self.metrics.push(Metric { name: name.to_owned(), value, unit: unit.to_owned() });
    }

    pub fn latency(&mut self, name: &str, summary: LatencySummary) {
        self.latencies.push((name.to_owned(), summary));
    }

    pub fn target(&mut self, target: &str, measured: String, met: bool) {
        self.targets.push(TargetCheck { target: target.to_owned(), measured, met });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Prints the report as a table.
    pub fn print(&self) {
        println!();
        println!("== {} {}", self.id, self.title);
        println!("   parameters: {}", self.parameters);
        for metric in &self.metrics {
            println!("   {:<44} {:>16} {}", metric.name, format_number(metric.value), metric.unit);
        }
        if !self.latencies.is_empty() {
            println!("   {:<44} {:>10} {:>9} {:>9} {:>9} {:>9}", "latency (ms)", "count", "p50", "p99", "p99.9", "max");
            for (name, summary) in &self.latencies {
                println!(
                    "   {:<44} {:>10} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                    name, summary.count, summary.p50_ms, summary.p99_ms, summary.p999_ms, summary.max_ms
                );
            }
        }
        for check in &self.targets {
            let verdict = if check.met { "MET   " } else { "MISSED" };
            println!("   [{verdict}] {}: {}", check.target, check.measured);
        }
        for note in &self.notes {
            println!("   note: {note}");
        }
    }
}

/// Prints, for every scenario and metric found in the result files, the median over the files and
/// the range, so repeated runs on a noisy machine can be reported as medians.
pub fn summarize(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    let mut values: BTreeMap<(String, String), (Vec<f64>, String)> = BTreeMap::new();
    for file in files {
        let document: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
        for scenario in document["scenarios"].as_array().into_iter().flatten() {
            let id = scenario["id"].as_str().unwrap_or("?").to_owned();
            for metric in scenario["metrics"].as_array().into_iter().flatten() {
                let name = metric["name"].as_str().unwrap_or("?").to_owned();
                let entry = values
                    .entry((id.clone(), name))
                    .or_insert_with(|| (Vec::new(), metric["unit"].as_str().unwrap_or("").to_owned()));
                entry.0.extend(metric["value"].as_f64());
            }
            for latency in scenario["latencies"].as_array().into_iter().flatten() {
                let name = latency[0].as_str().unwrap_or("?");
                for percentile in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
                    let key = (id.clone(), format!("{name} {percentile}"));
                    let entry = values.entry(key).or_insert_with(|| (Vec::new(), "ms".to_owned()));
                    entry.0.extend(latency[1][percentile].as_f64());
                }
            }
        }
    }
    println!("medians over {} runs (min .. max)", files.len());
    for ((id, name), (mut samples, unit)) in values {
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        println!(
            "{id:<4} {name:<56} {:>14} {unit:<14} ({} .. {})",
            format_number(median),
            format_number(samples[0]),
            format_number(samples[samples.len() - 1])
        );
    }
    Ok(())
}

/// A number with thousands separators and at most two decimals.
pub fn format_number(value: f64) -> String {
    let rounded = if value.abs() >= 100.0 { format!("{value:.0}") } else { format!("{value:.2}") };
    let (integer, fraction) = rounded.split_once('.').map_or((rounded.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = integer.strip_prefix('-').map_or(("", integer), |digits| ("-", digits));
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_tables() {
        assert_eq!(format_number(1234567.4), "1,234,567");
        assert_eq!(format_number(12.345), "12.35");
        assert_eq!(format_number(-4321.0), "-4,321");
    }

    #[test]
    fn summarizes_latencies_in_milliseconds() {
        let mut histogram = new_histogram();
        for millis in 1..=100 {
            record(&mut histogram, Duration::from_millis(millis));
        }
        let summary = LatencySummary::of(&histogram);
        assert_eq!(summary.count, 100);
        assert!((summary.p50_ms - 50.0).abs() < 0.1);
        assert!((summary.max_ms - 100.0).abs() < 0.1);
    }
}
