//! `ServiceError`: what a use case reports, as a Tencent error code and a message safe to show.
//!
//! Store failures are logged here with their detail and reach the client only as an internal
//! error code with a generic message.

use mynah_proto::codes::ErrorCode;
use mynah_store::StoreError;

/// A failed use case: the code and message the client sees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ServiceError {
        ServiceError { code, message: message.into() }
    }

    /// Maps a store failure met while serving `operation`, logging what the client will not see.
    pub fn from_store(operation: &str, error: StoreError, internal_code: ErrorCode) -> ServiceError {
        match error {
            StoreError::NotFound(what) => ServiceError::new(internal_code, format!("not found: {what}")),
            other => {
                tracing::error!(operation, error = %other, "store failed");
                ServiceError::new(internal_code, "internal server error")
            }
        }
    }
}

/// Shorthand for the results of use cases.
pub type ServiceResult<T> = Result<T, ServiceError>;
