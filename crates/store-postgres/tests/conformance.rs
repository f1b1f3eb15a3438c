//! The store conformance suite against PostgreSQL: each check on a fresh database of one throwaway
//! server (skipped loudly when PostgreSQL is not installed).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mynah_pg_harness::PgServer;
use mynah_store::Store;
use mynah_store::conformance::run_all;
use mynah_store_postgres::PostgresStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_store_passes_the_conformance_suite() {
    let Some(server) = PgServer::start() else { return };
    let checks = AtomicUsize::new(0);
    run_all(|| {
        let name = format!("check{}", checks.fetch_add(1, Ordering::Relaxed));
        let url = server.create_database(&name);
        async move { Store::from_backend(Arc::new(PostgresStore::connect(&url).await.expect("connect"))) }
    })
    .await;
}
