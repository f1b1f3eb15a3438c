//! `ServiceError`: what a use case reports, as a Tencent error code and a message safe to show.
//!
//! Store failures are logged here with their detail and reach the client only as the internal-error
//! code of the family the request belongs to (20005 one-to-one, 10002 groups, 70500 accounts, ...),
//! with a generic message: a full disk or a locked database is the server's fault, never the
//! client's. The one store refusal a client caused is `NotMember` (a removal that raced the send),
//! which is 10007 like the service's own membership check.

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
    /// `internal_code` is the internal-error code of the request's family. Callers handle the
    /// refusals they expect (`NotFound`, `AlreadyExists`, `GroupFull`) first; one that reaches here
    /// is a row the service expected to exist, so the server's fault too.
    pub fn from_store(operation: &str, error: StoreError, internal_code: ErrorCode) -> ServiceError {
        match error {
            StoreError::NotMember(what) => {
                ServiceError::new(ErrorCode::GROUP_NO_PERMISSION, format!("not a member: {what}"))
            }
            retryable if retryable.is_retryable() => {
                tracing::warn!(operation, error = %retryable, "store busy");
                ServiceError::new(internal_code, "server busy, please retry")
            }
            other => {
                tracing::error!(operation, error = %other, "store failed");
                ServiceError::new(internal_code, "internal server error")
            }
        }
    }
}

/// Shorthand for the results of use cases.
pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn code(error: StoreError) -> u32 {
        ServiceError::from_store("test", error, ErrorCode::C2C_INTERNAL).code.0
    }

    #[test]
    fn server_faults_are_internal_errors_and_a_lost_membership_is_10007() {
        assert_eq!(code(StoreError::Backend("disk full".to_owned())), 20005);
        assert_eq!(code(StoreError::Busy("database is locked".to_owned())), 20005);
        assert_eq!(code(StoreError::Conflict("unique key".to_owned())), 20005);
        assert_eq!(code(StoreError::NotFound("a row".to_owned())), 20005);
        assert_eq!(code(StoreError::NotMember("bob in group g1".to_owned())), 10007);
        let busy = ServiceError::from_store("test", StoreError::Busy("locked".to_owned()), ErrorCode::GROUP_INTERNAL);
        assert_eq!(busy, ServiceError::new(ErrorCode::GROUP_INTERNAL, "server busy, please retry"));
    }
}
