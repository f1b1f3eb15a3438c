//! `NatsBus` against a real `nats-server` that each test starts on a free port: the bus
//! conformance suite, and two nodes sharing one server.

mod common;
mod conformance;
mod interest;
mod outage;
mod two_nodes;
