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
//! - [`backend`]: what every backend does the same way around its SQL (a prepared message, unknown
//!   change kinds, the clock).
//! - [`conformance`]: the behaviour every backend must show, as a suite backends run in their tests.
//!
//! Every key is scoped by app (SDKAppID): two apps never see each other's rows.

pub mod admin;
pub mod backend;
pub mod conformance;
pub mod keys;
pub mod ports;
pub mod records;

pub use admin::{
    AccountStore, GroupAdminStore, GroupEdit, GroupEdited, GroupNoticeRecord, MessageAdminStore, MessageEdit,
    ProfileRecord, ProfileSet, ProfileStore, Revision, SenderProfile,
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
    /// A group message's sender is not a member. Checked in the write that appends the message,
    /// so a removal that raced the service's own check is caught here.
    #[error("not a member: {0}")]
    NotMember(String),
    /// The write lost a race with a concurrent write on the same rows (an unexpected unique-key
    /// clash); reading again and retrying may succeed.
    #[error("conflicting write: {0}")]
    Conflict(String),
    /// The backend cannot serve the request right now (locked, overloaded) but is not broken: the
    /// same request may succeed if retried. Logged, never shown to clients.
    #[error("storage backend busy: {0}")]
    Busy(String),
    /// The backend failed (I/O, disk full, corruption, a closed writer). Logged, never shown to
    /// clients.
    #[error("storage backend failed: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether the same request may succeed if tried again unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy(_) | StoreError::Conflict(_))
    }

    /// Whether the store, not the request, is at fault: the client sees an internal error.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, StoreError::Busy(_) | StoreError::Conflict(_) | StoreError::Backend(_))
    }
}
