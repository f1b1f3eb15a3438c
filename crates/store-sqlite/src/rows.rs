//! Small conversions between SQLite values and store records, and the error mapping.

use mynah_store::StoreError;
use rusqlite::Row;
use rusqlite::types::Type;

/// Maps an SQLite error onto the store's error; the detail is for logs only. A lock another
/// connection holds (`SQLITE_BUSY`, `SQLITE_LOCKED`) is retryable; an unexpected unique-key clash
/// is a conflict; everything else (I/O, disk full, corruption) is a backend failure.
pub(crate) fn backend(error: rusqlite::Error) -> StoreError {
    if is_busy(&error) {
        return StoreError::Busy(format!("sqlite: {error}"));
    }
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!("sqlite: {error}")),
        _ => StoreError::Backend(format!("sqlite: {error}")),
    }
}

/// Whether the error is a lock another connection holds (`SQLITE_BUSY`, `SQLITE_LOCKED`): the same
/// work may succeed when retried.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

pub(crate) use mynah_store::backend::now_ms;

/// A sequence or position as SQLite stores it. `None` above `i64::MAX`: such a value is beyond
/// anything stored (sequences and positions count up from 1), so callers answer "nothing there"
/// instead of failing to bind it.
pub(crate) fn stored_int(value: u64) -> Option<i64> {
    i64::try_from(value).ok()
}

/// Reads a text column holding one of an enum's names, e.g. a `MemberRole` or a `MessagePriority`.
pub(crate) fn named<T>(row: &Row<'_>, index: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text = row.get_ref(index)?.as_str()?;
    parse(text).ok_or_else(|| corrupt(index, format!("unknown value {text:?}")))
}

/// Reads a text column holding JSON.
pub(crate) fn json<T: for<'de> serde::Deserialize<'de>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text = row.get_ref(index)?.as_str()?;
    serde_json::from_str(text).map_err(|error| corrupt(index, error.to_string()))
}

/// Encodes a value as JSON for a text column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Backend(format!("encoding a row as JSON: {error}")))
}

fn corrupt(index: usize, reason: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, reason.into())
}

#[cfg(test)]
mod tests {
    use rusqlite::ffi;

    use super::*;

    fn failure(code: std::ffi::c_int) -> StoreError {
        backend(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None))
    }

    #[test]
    fn locks_are_retryable_clashes_are_conflicts_and_the_rest_is_a_backend_failure() {
        assert!(matches!(failure(ffi::SQLITE_BUSY), StoreError::Busy(_)));
        assert!(matches!(failure(ffi::SQLITE_LOCKED), StoreError::Busy(_)));
        assert!(matches!(failure(ffi::SQLITE_CONSTRAINT), StoreError::Conflict(_)));
        assert!(matches!(failure(ffi::SQLITE_FULL), StoreError::Backend(_)));
        assert!(matches!(failure(ffi::SQLITE_IOERR), StoreError::Backend(_)));
        assert!(failure(ffi::SQLITE_BUSY).is_retryable());
        assert!(!failure(ffi::SQLITE_FULL).is_retryable());
    }
}
