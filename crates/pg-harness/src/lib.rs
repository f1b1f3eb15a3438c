//! A throwaway PostgreSQL server for tests.
//!
//! [`PgServer::start`] finds Debian's `initdb` and `pg_ctl` (on `PATH`, else in
//! `/usr/lib/postgresql/*/bin`, newest first), initialises a cluster in a temporary directory, and
//! starts it on a free loopback port with its unix socket in that directory too. Dropping the
//! server stops it (`pg_ctl stop -m immediate`) and deletes the directory.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (as CI does), every PostgreSQL
//! command runs as the `postgres` OS user (which Debian's package creates) through `runuser`, and the
//! temporary directory is handed to that user first. The cluster's superuser role is always
//! `postgres` and authentication is `trust`, so the URL needs no password.
//!
//! When no PostgreSQL binaries are found, `start` prints `SKIPPED: PostgreSQL not installed` to
//! stderr and returns `None`: the caller returns early.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running throwaway PostgreSQL cluster; stopped and deleted on drop.
pub struct PgServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl PgServer {
    /// Starts a fresh cluster, or returns `None` (after printing a loud skip notice) when PostgreSQL is
    /// not installed. Panics when PostgreSQL is installed but does not start: that is a broken test
    /// machine, not a reason to skip.
    pub fn start() -> Option<Self> {
        Self::start_with(Durability::Off)
    }

    /// Starts a fresh cluster that fsyncs every commit, as production does (benchmarks compare it
    /// with SQLite's `durability = full`). Tests use [`PgServer::start`], which does not.
    pub fn start_durable() -> Option<Self> {
        Self::start_with(Durability::Full)
    }

    fn start_with(durability: Durability) -> Option<Self> {
        let Some(bin) = find_bin_dir() else {
            eprintln!("SKIPPED: PostgreSQL not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)");
            return None;
        };
        let as_postgres = running_as_root();
        // In /tmp rather than $TMPDIR: the `postgres` user must reach it, and a unix socket's path
        // must stay under ~100 bytes.
        let parent = Path::new("/tmp");
        let parent = if parent.is_dir() { parent.to_path_buf() } else { std::env::temp_dir() };
        let dir = tempfile::Builder::new().prefix("mynah-pg-").tempdir_in(parent).expect("temporary directory");
        if as_postgres {
            run_checked(Command::new("chown").arg("postgres:postgres").arg(dir.path()), "chown");
        }
        let mut server = Self { bin, dir, port: 0, as_postgres };
        let data = server.data_dir();
        let initdb = server
            .command("initdb")
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("run initdb");
        check(&initdb, "initdb");

        // A free port can be taken by someone else between the probe and the start: retry a few times.
        let mut last_failure = String::new();
        for _ in 0..5 {
            server.port = free_port();
            let durability = match durability {
                // Tests lose nothing that matters if the machine dies, and run faster.
                Durability::Off => "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                Durability::Full => "-c fsync=on -c synchronous_commit=on -c full_page_writes=on",
            };
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} {durability} -c max_connections=200",
                server.port,
                server.dir.path().display()
            );
            let started = server
                .command("pg_ctl")
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(server.dir.path().join("server.log"))
                .args(["-o", &options])
                .output()
                .expect("run pg_ctl start");
            if started.status.success() {
                return Some(server);
            }
            last_failure =
                describe(&started) + &std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
        }
        panic!("PostgreSQL did not start: {last_failure}");
    }

    /// The process id of the postmaster, the parent of every backend process (from
    /// `postmaster.pid`), for measuring the cluster's CPU.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a new empty database and returns its connection URL.
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let output = self
            .command("createdb")
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name])
            .output()
            .expect("run createdb");
        check(&output, "createdb");
        self.url(name)
    }

    /// The connection URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["stop", "-m", "immediate", "-w", "-D"]).arg(self.data_dir()).output();
    }
}

/// Whether commits reach the disk before they are acknowledged.
#[derive(Clone, Copy)]
enum Durability {
    Off,
    Full,
}

/// The directory holding `initdb` and `pg_ctl`.
fn find_bin_dir() -> Option<PathBuf> {
    let on_path =
        std::env::var_os("PATH").into_iter().flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>());
    for dir in on_path {
        let initdb = dir.join("initdb");
        if initdb.is_file() {
            // Debian links /usr/local/bin/initdb (or similar) to the versioned directory: follow it,
            // so `pg_ctl` and `postgres` come from the same installation.
            let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
            let bin = real.parent().map(Path::to_path_buf).unwrap_or(dir);
            if bin.join("pg_ctl").is_file() {
                return Some(bin);
            }
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versioned.sort();
    versioned.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a probe port");
    listener.local_addr().expect("probe address").port()
}

fn run_checked(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|error| panic!("run {what}: {error}"));
    check(&output, what);
}

fn check(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed: {}", describe(output));
}

fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
