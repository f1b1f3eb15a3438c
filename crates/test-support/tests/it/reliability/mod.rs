//! The reliability suite (targets R1, R3, R4 of `shared/guide/performance.md`):
//!
//! - [`crash`]: R1, `kill -9` of the real `mynah` binary under load; every acknowledged message is
//!   stored exactly once, in order, without sequence gaps, and catching up equals a fresh login.
//! - [`bad_input`]: R3, the frame decoder never panics (proptest), and malformed, truncated,
//!   oversized, binary and wrong-typed frames get 60002 or a close, never a stored message.
//! - [`authz`]: R4, the authorization matrix: every operation × actor, only allowed cells succeed.
//! - [`store_faults`]: a failing store is an internal error, never the client's; values beyond
//!   anything stored are "nothing there"; an unknown change kind is skipped.
//! - [`raw`]: a raw WebSocket session for frames the SDK would never send.
//!
//! `scripts/reliability-long.sh` runs the crash test over many seeds.

mod authz;
mod bad_input;
mod crash;
mod raw;
mod store_faults;
