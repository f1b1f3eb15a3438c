//! The wire contract between Mynah's SDKs and its server.
//!
//! # Layout
//!
//! - [`elements`]: message content, Tencent's `MsgBody` element format (`TIMTextElem`, ...), shared by
//!   the WebSocket protocol, storage, the REST API and webhooks.
//! - [`objects`]: the SDK-facing objects the server sends (messages, conversations, groups).
//! - [`profiles`]: user profiles, their operations and Tencent's profile tags.
//! - [`frames`]: the WebSocket envelope: requests, responses, pushes.
//! - [`requests`]: the typed body of every request operation and its result;
//!   [`group_management`]: those of managing a group and its members, and the `GroupMember` object.
//! - [`webhooks`]: the bodies of the callbacks the server makes, and their replies.
//! - [`codes`]: Tencent's numeric error codes, the only error vocabulary on the wire.
//! - [`ids`]: conversation-ID helpers (`C2C{userID}`, `GROUP{groupID}`).
//! - [`rest`]: the REST API envelope and its 60xxx codes; `rest_*`: the bodies of each REST service.
//!
//! This crate is the only place a wire shape is defined. It has no I/O.

pub mod codes;
mod codes_admin;
pub mod elements;
pub mod frames;
pub mod group_management;
pub mod ids;
pub mod objects;
pub mod profiles;
pub mod requests;
pub mod rest;
pub mod rest_accounts;
pub mod rest_group_roles;
pub mod rest_groups;
pub mod rest_openim;
pub mod rest_profiles;
pub mod webhooks;

/// The protocol version this crate describes. A client states it in its login request.
pub const PROTOCOL_VERSION: u32 = 1;
