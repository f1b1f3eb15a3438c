//! The store conformance suite against PostgreSQL: each check on a fresh database of one throwaway
//! server (skipped loudly when PostgreSQL is not installed).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mynah_pg_harness::PgServer;
use mynah_store::Store;
use mynah_store::conformance::run_all;
use mynah_store_postgres::PostgresStore;
use sqlx::postgres::PgPool;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_store_passes_the_conformance_suite() {
    let Some(server) = PgServer::start() else { return };
    // Each check's database is a copy of one migrated template: copying is much faster than
    // creating and migrating 48 databases.
    let template = PostgresStore::connect(&server.create_database("conformance_template")).await.expect("migrate");
    template.pool().close().await;
    let admin = PgPool::connect(&server.url("postgres")).await.expect("connect as the superuser");
    let checks = AtomicUsize::new(0);
    run_all(|| {
        let name = format!("check{}", checks.fetch_add(1, Ordering::Relaxed));
        let (admin, url) = (admin.clone(), server.url(&name));
        async move {
            // The name is ours (`check{n}`), not input.
            let create = format!("CREATE DATABASE {name} TEMPLATE conformance_template");
            sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&admin).await.expect("copy the template");
            Store::from_backend(Arc::new(PostgresStore::connect(&url).await.expect("connect")))
        }
    })
    .await;
}
