//! Migrations against a throwaway PostgreSQL server (skipped loudly when PostgreSQL is not installed).

use mynah_pg_harness::PgServer;
use mynah_store_postgres::PostgresStore;
use mynah_store_postgres::migrations::{MIGRATIONS, migrate};
use sqlx::postgres::PgPool;

const TABLES: &[&str] = &[
    "accounts",
    "change_heads",
    "changes",
    "chat_groups",
    "conversations",
    "group_members",
    "messages",
    "nodes",
    "profiles",
    "schema_migrations",
    "sessions",
    "user_conversations",
    "webhook_outbox",
];

async fn tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// `(rows, distinct versions, newest version)` of `schema_migrations`.
async fn recorded(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version), COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn newest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap()
}

#[tokio::test]
async fn connect_creates_the_schema_and_every_key_starts_with_app() {
    let Some(server) = PgServer::start() else { return };
    let store = PostgresStore::connect(&server.create_database("mynah")).await.unwrap();
    assert_eq!(store.migrations_applied(), MIGRATIONS.len());
    let pool = store.pool();
    assert_eq!(tables(pool).await, TABLES);
    assert_eq!(recorded(pool).await, (newest(), newest(), newest()));

    // The first column of every primary key (and of every other index) of the app's tables is `app`.
    // Not in the check: the outbox (keyed by its own id, below), the cluster's running nodes (which
    // belong to no app), and the index by which the registry forgets a dead node's sessions of every app.
    let leading: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::TEXT, a.attname::TEXT
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
         WHERE n.nspname = 'public' AND t.relname NOT IN ('schema_migrations', 'webhook_outbox', 'nodes')
           AND i.indexrelid::regclass::TEXT <> 'sessions_by_node'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!leading.is_empty());
    for (index, column) in &leading {
        assert_eq!(column, "app", "index {index} does not start with app");
    }
    // The outbox is keyed by its own id, but every entry names its app.
    let outbox_app: bool = sqlx::query_scalar(
        "SELECT is_nullable = 'NO' FROM information_schema.columns
         WHERE table_name = 'webhook_outbox' AND column_name = 'app'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(outbox_app);
}

#[tokio::test]
async fn key_columns_compare_as_bytes_on_a_database_with_a_locale() {
    let Some(server) = PgServer::start() else { return };
    // A database whose default collation is not byte order, as production databases often are.
    let admin = PgPool::connect(&server.url("postgres")).await.unwrap();
    let locale: Option<String> = sqlx::query_scalar(
        "SELECT collname::TEXT FROM pg_collation WHERE collname IN ('en_US.utf8', 'C.utf8', 'und-x-icu') LIMIT 1",
    )
    .fetch_optional(&admin)
    .await
    .unwrap();
    let create = match &locale {
        Some(locale) if locale != "und-x-icu" => {
            format!("CREATE DATABASE localized TEMPLATE template0 LC_COLLATE '{locale}' LC_CTYPE '{locale}'")
        }
        _ => "CREATE DATABASE localized".to_owned(),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&admin).await.unwrap();
    let store = PostgresStore::connect(&server.url("localized")).await.unwrap();
    let keys: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, collation_name::TEXT FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name IN
             ('conv_key', 'user_id', 'group_id', 'message_id', 'sender', 'receiver', 'client_msg_id', 'owner')
         ORDER BY 1, 2",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(keys.len() >= 17, "{keys:?}");
    for (table, column, collation) in &keys {
        assert_eq!(collation.as_deref(), Some("C"), "{table}.{column}");
    }
}

#[tokio::test]
async fn migrating_again_is_a_no_op_and_a_newer_database_is_refused() {
    let Some(server) = PgServer::start() else { return };
    let url = server.create_database("mynah");
    let store = PostgresStore::connect(&url).await.unwrap();
    let pool = store.pool();
    let before = tables(pool).await;
    assert_eq!(migrate(pool).await.unwrap(), 0);
    assert_eq!(PostgresStore::connect(&url).await.unwrap().migrations_applied(), 0);
    assert_eq!(tables(pool).await, before);
    assert_eq!(recorded(pool).await, (newest(), newest(), newest()));

    sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)").bind(newest() + 1).execute(pool).await.unwrap();
    let refused = PostgresStore::connect(&url).await.err().expect("a newer schema is refused");
    assert!(refused.to_string().contains("newer than this build knows"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_nodes_starting_at_once_apply_each_migration_exactly_once() {
    let Some(server) = PgServer::start() else { return };
    let url = server.create_database("mynah");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let nodes: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let store = PostgresStore::connect(&url).await.expect("every node starts");
                // Running them again right away applies nothing, whoever won.
                assert_eq!(migrate(store.pool()).await.unwrap(), 0);
                store.migrations_applied()
            })
        })
        .collect();
    let mut applied = Vec::new();
    for node in nodes {
        applied.push(node.await.unwrap());
    }
    // One node applied every migration; the seven others waited on the lock and applied none.
    applied.sort_unstable();
    let mut expected = vec![0; 7];
    expected.push(MIGRATIONS.len());
    assert_eq!(applied, expected);
    let pool = PgPool::connect(&url).await.unwrap();
    assert_eq!(recorded(&pool).await, (newest(), newest(), newest()));
    assert_eq!(tables(&pool).await, TABLES);
}
