//! End-to-end tests: a real server on port 0, driven through the Rust SDK.

mod conversation_attributes;
mod delivery;
mod durability;
mod fanout;
mod faults;
mod group_edits;
mod group_management;
mod groups;
mod http;
mod ids;
mod limits;
mod login;
mod names;
mod reliability;
mod rest;
mod sessions;
mod stalled;
mod sync;
mod webhooks;
