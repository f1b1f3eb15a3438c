//! The shared bus conformance suite, run against single `NatsBus` nodes.

use std::sync::Arc;

use mynah_bus::{Bus, SessionRegistry};

use crate::common::NatsServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_bus_passes_the_conformance_suite() {
    let Some(server) = NatsServer::start().await else { return };
    mynah_bus::conformance::run(|| {
        // The factory is synchronous; connecting is not.
        let bus =
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(crate::common::node(&server)));
        (Arc::new(bus.clone()) as Arc<dyn Bus>, Arc::new(bus) as Arc<dyn SessionRegistry>)
    })
    .await;
}
