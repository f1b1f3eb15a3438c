//! Storage ports: what the service needs from a store, as narrow traits per aggregate.
//!
//! # Layout
//!
//! - [`records`]: the records stores read and write (not wire types).
//! - [`keys`]: conversation keys, one canonical key per C2C pair and per group.
//! - [`ports`]: the traits: [`MessageStore`], [`ConversationStore`], [`ChangeStore`], [`GroupStore`],
//!   [`OutboxStore`], gathered in [`Store`].
//! - [`admin`]: the ports of administration: [`AccountStore`], [`ProfileStore`], [`MessageAdminStore`],
//!   [`GroupAdminStore`], and their records.
//! - [`conformance`]: the behaviour every backend must show, as a suite backends run in their tests.
//!
//! Every key is scoped by app (SDKAppID): two apps never see each other's rows.

pub mod admin;
pub mod conformance;
pub mod keys;
pub mod ports;
pub mod records;

pub use admin::{
    AccountStore, GroupAdminStore, GroupNoticeRecord, MessageAdminStore, MessageEdit, ProfileRecord, ProfileSet,
    ProfileStore, Revision, SenderProfile,
};
pub use keys::ConversationKey;
pub use ports::{ChangeStore, ConversationStore, GroupStore, MessageStore, OutboxStore, Store};
pub use records::*;

/// What can go wrong in a store. Backends map their own errors onto these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique key is taken (for example a custom group ID).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The row the write depends on does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The group has reached its member cap.
    #[error("group is full")]
    GroupFull,
    /// The backend failed (I/O, corruption, a closed writer). Logged, never shown to clients.
    #[error("storage backend failed: {0}")]
    Backend(String),
}
