//! End-to-end tests: a real server on port 0, driven through the Rust SDK.

mod delivery;
mod durability;
mod fanout;
mod faults;
mod groups;
mod http;
mod limits;
mod login;
mod reliability;
mod rest;
mod sessions;
mod sync;
mod webhooks;
