//! The deployment under test: one `mynah` node on its embedded store, or several nodes sharing a
//! throwaway PostgreSQL (fsync on, as in production) and a throwaway `nats-server`, all on this
//! machine. Scenarios spread their clients over the nodes round-robin and measure the CPU of every
//! process of the deployment.

use anyhow::Context as _;
use mynah_nats_harness::NatsServer;
use mynah_pg_harness::PgServer;

use crate::procfs::Measured;
use crate::server::{ServerOptions, ServerProcess};
use crate::wire::Endpoint;

/// What to start.
#[derive(Clone, Copy, Debug)]
pub struct Topology {
    /// `mynah` nodes.
    pub nodes: usize,
    /// Whether the nodes share PostgreSQL and NATS (always with more than one node).
    pub cluster: bool,
}

/// The running processes of a deployment; stopped when [`Deployment::stop`] is called or dropped.
pub struct Deployment {
    pub nodes: Vec<ServerProcess>,
    postgres: Option<PgServer>,
    nats: Option<NatsServer>,
}

impl Deployment {
    pub async fn start(options: &ServerOptions, topology: Topology) -> anyhow::Result<Deployment> {
        if !topology.cluster && topology.nodes <= 1 {
            return Ok(Deployment { nodes: vec![ServerProcess::start(options).await?], postgres: None, nats: None });
        }
        let postgres =
            PgServer::start_durable().context("the cluster needs PostgreSQL (apt-get install postgresql)")?;
        let store = postgres.create_database("mynah");
        let nats = NatsServer::start().await.context("the cluster needs nats-server (apt-get install nats-server)")?;
        let options = ServerOptions { store: Some(store), bus: Some(nats.url.clone()), ..options.clone() };
        let mut nodes = Vec::new();
        for _ in 0..topology.nodes.max(1) {
            nodes.push(ServerProcess::start(&options).await?);
        }
        Ok(Deployment { nodes, postgres: Some(postgres), nats: Some(nats) })
    }

    /// Every node's endpoint, in order.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.nodes.iter().map(ServerProcess::endpoint).collect()
    }

    /// The `mynah` nodes' processes.
    pub fn node_processes(&self) -> Vec<Measured> {
        self.nodes.iter().map(|node| Measured::Process(node.pid())).collect()
    }

    /// PostgreSQL's processes: the postmaster and its backends (none for a single node on SQLite).
    pub fn postgres_processes(&self) -> Vec<Measured> {
        self.postgres.as_ref().and_then(PgServer::postmaster_pid).map(Measured::Tree).into_iter().collect()
    }

    /// NATS's process (none for a single node on SQLite).
    pub fn nats_processes(&self) -> Vec<Measured> {
        self.nats.as_ref().map(|nats| Measured::Process(nats.pid())).into_iter().collect()
    }

    /// Every process of the deployment.
    pub fn all_processes(&self) -> Vec<Measured> {
        let mut all = self.node_processes();
        all.extend(self.postgres_processes());
        all.extend(self.nats_processes());
        all
    }

    /// Stops every node gracefully, then PostgreSQL and NATS (on drop).
    pub async fn stop(self) -> anyhow::Result<()> {
        for node in self.nodes {
            node.stop().await?;
        }
        Ok(())
    }
}
