//! The cluster-wide session registry against a throwaway PostgreSQL server (skipped loudly when
//! PostgreSQL is not installed): the registry conformance checks, two nodes seeing each other's
//! sessions, and a node that stops renewing its lease no longer counting.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mynah_bus::{SessionIds, SessionInfo, SessionRegistry};
use mynah_pg_harness::PgServer;
use mynah_proto::requests::Platform;
use mynah_store_postgres::{PgRegistry, PostgresStore, RegistryTimings};

const APP: u64 = 1;

/// Short leases, so a lapse shows within a second.
const FAST: RegistryTimings = RegistryTimings {
    renew_every: Duration::from_millis(100),
    lease: Duration::from_millis(800),
    forget_after: Duration::from_millis(200),
};

async fn store(server: &PgServer) -> PostgresStore {
    PostgresStore::connect(&server.create_database("mynah")).await.expect("connects")
}

fn info(session: u64, platform: Platform, login_started_ms: u64) -> SessionInfo {
    SessionInfo { session, platform, login_started_ms }
}

fn ids(sessions: &[SessionInfo]) -> Vec<u64> {
    sessions.iter().map(|info| info.session).collect()
}

/// Polls `registry` until the user's sessions are `expected`, for at most 5 s; returns how long it took.
async fn until_sessions(registry: &PgRegistry, user: &str, expected: &[u64]) -> Duration {
    let start = Instant::now();
    loop {
        let now = ids(&registry.sessions(APP, user).await);
        if now == expected {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "sessions of {user} stayed {now:?}, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_registry_passes_the_registry_conformance_checks() {
    let Some(server) = PgServer::start() else { return };
    let pool = store(&server).await.pool().clone();
    mynah_bus::conformance::run_registry(|| {
        Arc::new(PgRegistry::start(pool.clone(), RegistryTimings::default())) as Arc<dyn SessionRegistry>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_see_each_others_sessions_oldest_login_first() {
    let Some(server) = PgServer::start() else { return };
    let pool = store(&server).await.pool().clone();
    let (one, two) = (PgRegistry::start(pool.clone(), FAST), PgRegistry::start(pool, FAST));
    let (ids_one, ids_two) = (SessionIds::with_node(1), SessionIds::with_node(2));
    let (web_one, phone_two, web_two) = (ids_one.next(), ids_two.next(), ids_two.next());

    assert!(!one.is_online(APP, "alice").await);
    let web = one.register(APP, "alice", info(web_one, Platform::Web, 2_000)).await;
    assert!(two.is_online(APP, "alice").await, "a session on node 1 is online for node 2");
    let phone = two.register(APP, "alice", info(phone_two, Platform::Android, 1_000)).await;
    let second_web = two.register(APP, "alice", info(web_two, Platform::Web, 3_000)).await;
    let expected = [phone_two, web_one, web_two];
    assert_eq!(ids(&one.sessions(APP, "alice").await), expected);
    assert_eq!(two.sessions(APP, "alice").await, one.sessions(APP, "alice").await);
    assert_eq!(one.sessions(APP, "alice").await[0], info(phone_two, Platform::Android, 1_000));
    assert!(!two.is_online(APP + 1, "alice").await, "the registry is scoped by app");

    // An ended session is gone at once on its own node, and on the other once its row is deleted.
    drop(second_web);
    assert_eq!(ids(&two.sessions(APP, "alice").await), [phone_two, web_one]);
    until_sessions(&one, "alice", &[phone_two, web_one]).await;
    drop(web);
    drop(phone);
    until_sessions(&one, "alice", &[]).await;
    until_sessions(&two, "alice", &[]).await;
    assert!(!two.is_online(APP, "alice").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_renewing_its_lease_stops_counting_and_is_forgotten() {
    let Some(server) = PgServer::start() else { return };
    let pool = store(&server).await.pool().clone();
    let survivor = PgRegistry::start(pool.clone(), FAST);
    let kept_session = SessionIds::with_node(7).next();
    let kept = survivor.register(APP, "bob", info(kept_session, Platform::Web, 1)).await;

    let dying = PgRegistry::start(pool.clone(), FAST);
    let lost = SessionIds::with_node(8).next();
    // As after `kill -9`: the session is never unregistered, and the node stops renewing its lease.
    std::mem::forget(dying.register(APP, "bob", info(lost, Platform::Android, 2)).await);
    assert_eq!(ids(&survivor.sessions(APP, "bob").await), [kept_session, lost]);
    drop(dying);

    let took = until_sessions(&survivor, "bob", &[kept_session]).await;
    assert!(took <= FAST.lease + Duration::from_secs(2), "the dead node counted for {took:?}");
    // The survivor's sweep deletes the dead node's rows (and keeps its own).
    let start = Instant::now();
    loop {
        let rows: Vec<i64> =
            sqlx::query_scalar("SELECT session FROM sessions ORDER BY session").fetch_all(&pool).await.unwrap();
        if rows.len() == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the dead node's rows stayed: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_closes_stops_counting_at_once() {
    let Some(server) = PgServer::start() else { return };
    let pool = store(&server).await.pool().clone();
    let (staying, leaving) = (PgRegistry::start(pool.clone(), FAST), PgRegistry::start(pool, FAST));
    let kept = SessionIds::with_node(3).next();
    let _kept = staying.register(APP, "carol", info(kept, Platform::Web, 1)).await;
    let gone = SessionIds::with_node(4).next();
    // A session whose end the shutdown outran: its own delete never ran.
    std::mem::forget(leaving.register(APP, "carol", info(gone, Platform::Web, 2)).await);
    assert_eq!(ids(&staying.sessions(APP, "carol").await), [kept, gone]);
    leaving.close().await;
    assert_eq!(ids(&staying.sessions(APP, "carol").await), [kept]);
}
