//! Multi-node tests: `mynah` nodes as child processes on port 0, sharing a throwaway PostgreSQL
//! and `nats-server` (each test starts its own; without them the tests print SKIPPED and pass).
//!
//! - [`chat`]: users on different nodes chat one-to-one and in a group: pushes across nodes, no
//!   self-echo, offline sync, read marks across devices on different nodes.
//! - [`kick`]: a second login on another node kicks the first; REST on one node sees and kicks
//!   the sessions on every node; a node stopped gracefully takes its sessions out of the registry.
//! - [`kill`]: `kill -9` of a node under load loses, duplicates and reorders no acknowledged message.
//! - [`webhooks`]: one after-send callback per message with three nodes claiming the outbox.

mod chat;
mod common;
mod kick;
mod kill;
mod webhooks;
