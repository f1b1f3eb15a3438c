//! What `/proc` says about a process (resident memory, CPU time) and about the machine.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Resident memory of a process, in bytes (`VmRSS`).
pub fn rss_bytes(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:") * 1024
}

/// Peak resident memory of a process, in bytes (`VmHWM`).
pub fn peak_rss_bytes(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:") * 1024
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU time a process has used so far (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_time(pid: u32) -> Duration {
    ticks_to_duration(stat_ticks(pid, &[UTIME, STIME]))
}

/// CPU time a process tree has used so far: the root, its live children, and the children of
/// both that ended and were waited for (`cutime`, `cstime`). PostgreSQL runs one backend process
/// per connection under its postmaster; a backend that ends during a measurement still counts,
/// through its parent's `cutime`.
pub fn tree_cpu_time(root: u32) -> Duration {
    let all = [UTIME, STIME, CUTIME, CSTIME];
    let children: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| parent_pid(pid) == Some(root))
        .map(|pid| stat_ticks(pid, &all))
        .sum();
    ticks_to_duration(stat_ticks(root, &all) + children)
}

/// Indexes of `/proc/<pid>/stat` fields counted from field 3 (the state, just after the name):
/// field 4 (ppid) is index 1, fields 14-17 (utime, stime, cutime, cstime) are 11-14.
const PPID: usize = 1;
const UTIME: usize = 11;
const STIME: usize = 12;
const CUTIME: usize = 13;
const CSTIME: usize = 14;

/// The fields of `/proc/<pid>/stat` after the command name (empty when the process is gone).
fn stat_fields(pid: u32) -> Vec<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may contain spaces; the fields after it start past its ')'.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    after_name.split_whitespace().map(|field| field.parse::<u64>().unwrap_or(0)).collect()
}

fn stat_ticks(pid: u32, indexes: &[usize]) -> u64 {
    let fields = stat_fields(pid);
    indexes.iter().filter_map(|&index| fields.get(index)).sum()
}

fn parent_pid(pid: u32) -> Option<u32> {
    stat_fields(pid).get(PPID).and_then(|&ppid| u32::try_from(ppid).ok())
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second() as f64)
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// Kernel slab memory of the machine, in bytes: socket buffers and structures of both ends of
/// every loopback connection land here.
pub fn slab_bytes() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("Slab:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// A process whose CPU is measured: alone, or with its children (a PostgreSQL cluster).
#[derive(Clone, Copy, Debug)]
pub enum Measured {
    Process(u32),
    Tree(u32),
}

impl Measured {
    fn cpu_time(self) -> Duration {
        match self {
            Measured::Process(pid) => cpu_time(pid),
            Measured::Tree(root) => tree_cpu_time(root),
        }
    }
}

/// CPU used by a set of processes over a stretch of wall time.
pub struct CpuMeter {
    measured: Vec<Measured>,
    started: Instant,
    cpu_at_start: Duration,
}

impl CpuMeter {
    pub fn start(pids: &[u32]) -> CpuMeter {
        CpuMeter::of(pids.iter().map(|&pid| Measured::Process(pid)).collect())
    }

    pub fn of(measured: Vec<Measured>) -> CpuMeter {
        let cpu_at_start = measured.iter().map(|source| source.cpu_time()).sum();
        CpuMeter { measured, started: Instant::now(), cpu_at_start }
    }

    /// CPU time used since the start.
    pub fn used(&self) -> Duration {
        let now: Duration = self.measured.iter().map(|source| source.cpu_time()).sum();
        now.saturating_sub(self.cpu_at_start)
    }

    /// Average cores busy since the start (1.0 = one core fully).
    pub fn cores(&self) -> f64 {
        let wall = self.started.elapsed().as_secs_f64();
        if wall == 0.0 { 0.0 } else { self.used().as_secs_f64() / wall }
    }
}

/// The machine a run was measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_bytes: u64,
    pub kernel: String,
    pub open_files_limit: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_bytes = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|value| value.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024;
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let open_files_limit = limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .map(|line| line.split_whitespace().skip(3).take(2).collect::<Vec<_>>().join("/"))
            .unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            cpu_model,
            memory_bytes,
            kernel,
            open_files_limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid) > 0);
        assert!(peak_rss_bytes(pid) >= rss_bytes(pid) / 2);
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {}
        assert!(cpu_time(pid) > Duration::ZERO);
        assert!(Machine::read().cpus >= 1);
    }
}
