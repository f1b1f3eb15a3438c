//! A REST send the store fails is the command family's internal error (`openim` 91000, groups
//! 10002), never a code that blames the request. A trigger that fails every message insert, added
//! to the server's SQLite file while it runs, stands in for a full disk.

use mynah_test_support::TestServer;
use serde_json::json;

use super::{Rest, text};

#[tokio::test]
async fn a_send_the_store_fails_is_an_internal_error() {
    let server = TestServer::start().await;
    let rest = Rest::new(&server);
    rest.import(&["alice", "bob"]).await;
    rest.ok(
        "group_open_http_svc/create_group",
        json!({ "Owner_Account": "alice", "Type": "Private", "Name": "team", "GroupId": "g1",
            "MemberList": [{ "Member_Account": "bob" }] }),
    )
    .await;
    let database = rusqlite::Connection::open(server.data_dir().join("mynah.sqlite3")).expect("open the database");
    database.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    database
        .execute_batch(
            "CREATE TRIGGER the_disk_is_full BEFORE INSERT ON messages BEGIN INSERT INTO no_space_left VALUES (1); END",
        )
        .expect("install the failing trigger");

    let c2c = json!({ "From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("lost") });
    rest.fails("openim/sendmsg", c2c, 91000).await;
    let group = json!({ "GroupId": "g1", "From_Account": "alice", "Random": 1, "MsgBody": text("lost") });
    rest.fails("group_open_http_svc/send_group_msg", group, 10002).await;
}
