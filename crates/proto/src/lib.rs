//! The wire contract between Mynah's SDKs and its server.
//!
//! # Layout
//!
//! - [`elements`]: message content, Tencent's `MsgBody` element format (`TIMTextElem`, ...), shared by
//!   the WebSocket protocol, storage, the REST API and webhooks.
//! - [`objects`]: the SDK-facing objects the server sends (messages, conversations, groups).
//! - [`frames`]: the WebSocket envelope: requests, responses, pushes.
//! - [`requests`]: the typed body of every request operation and its result.
//! - [`codes`]: Tencent's numeric error codes, the only error vocabulary on the wire.
//! - [`ids`]: conversation-ID helpers (`C2C{userID}`, `GROUP{groupID}`).
//!
//! This crate is the only place a wire shape is defined. It has no I/O.

pub mod codes;
pub mod elements;
pub mod frames;
pub mod ids;
pub mod objects;
pub mod requests;

/// The protocol version this crate describes. A client states it in its login request.
pub const PROTOCOL_VERSION: u32 = 1;
