//! Test: every read query is an index search on the bundled SQLite, never a table scan.
//!
//! The planner has no statistics (no `ANALYZE`), so an index that looks usable may lose to a scan;
//! this pins the plans the schema was designed for.

use rusqlite::types::Null;
use rusqlite::{Connection, params_from_iter};

use crate::{accounts, changes, conversations, group_admin, groups, messages, migrations, outbox, revisions};

fn plan(connection: &Connection, sql: &str) -> Vec<String> {
    let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    // The plan does not depend on the values; NULLs fill every parameter.
    let nulls = params_from_iter(std::iter::repeat_n(Null, statement.parameter_count()));
    statement.query_map(nulls, |row| row.get::<_, String>(3)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn read_queries_search_indexes() {
    let mut connection = Connection::open_in_memory().unwrap();
    migrations::migrate(&mut connection).unwrap();
    let queries = [
        messages::QUERIES,
        conversations::QUERIES,
        changes::QUERIES,
        groups::QUERIES,
        outbox::QUERIES,
        accounts::QUERIES,
        revisions::QUERIES,
        group_admin::QUERIES,
    ]
    .concat();
    for (name, sql) in queries {
        let steps = plan(&connection, sql);
        for step in &steps {
            // Steps over a subquery's own (bounded) rows or a bound JSON array read no table.
            let over_subquery =
                ["CO-ROUTINE ", "LIST SUBQUERY ", "SCAN (subquery-", "SCAN json_each ", "CREATE BLOOM FILTER"]
                    .iter()
                    .any(|prefix| step.starts_with(prefix));
            let allowed = step.starts_with("SEARCH ") || step == "USE TEMP B-TREE FOR ORDER BY" || over_subquery;
            assert!(allowed, "{name}: {step} (plan: {steps:?})");
        }
        // A search on the app alone visits every row of the app.
        assert!(steps.iter().all(|step| !step.ends_with("(app=?)")), "{name}: {steps:?}");
    }
    let groups_of_user =
        plan(&connection, groups::QUERIES.iter().find(|(name, _)| *name == "groups of user").unwrap().1);
    assert!(groups_of_user[0].contains("COVERING INDEX group_members_by_user"), "{groups_of_user:?}");
    let group_ids_of_user =
        plan(&connection, groups::QUERIES.iter().find(|(name, _)| *name == "group ids of user").unwrap().1);
    assert!(group_ids_of_user[0].contains("COVERING INDEX group_members_by_user"), "{group_ids_of_user:?}");
}
