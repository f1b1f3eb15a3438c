//! The REST envelope: every answer is HTTP 200 with `ActionStatus`, `ErrorCode` and `ErrorInfo`,
//! followed by the command's own fields on success.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use mynah_proto::codes::ErrorCode;
use mynah_proto::rest::{RestReply, codes};
use mynah_service::ServiceError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A failed REST request: the code and the `ErrorInfo` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestError {
    pub code: ErrorCode,
    pub info: String,
}

impl RestError {
    pub fn new(code: ErrorCode, info: impl Into<String>) -> RestError {
        RestError { code, info: info.into() }
    }
}

impl From<ServiceError> for RestError {
    fn from(error: ServiceError) -> RestError {
        RestError { code: error.code, info: error.message }
    }
}

/// What a command returns: its own fields, to be merged after the envelope.
pub type CommandResult = Result<Map<String, Value>, RestError>;

/// Serializes a command's typed response into the fields after the envelope.
pub fn fields<T: Serialize>(body: &T) -> CommandResult {
    match serde_json::to_value(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(RestError::new(ErrorCode::ACCOUNT_INTERNAL, "internal server error")),
    }
}

/// Parses a request body. Bad JSON and wrong types are 60003, Tencent's "JSON parsing error".
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, RestError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body)
        .map_err(|error| RestError::new(codes::BAD_JSON, format!("invalid request body: {error}")))
}

/// Renders an outcome as the HTTP response.
pub fn render(outcome: CommandResult) -> Response {
    let encoded = match outcome {
        Ok(body) => serde_json::to_vec(&RestReply::ok(body)),
        Err(error) => serde_json::to_vec(&RestReply::fail(error.code, error.info)),
    };
    let bytes = encoded.unwrap_or_else(|_| {
        br#"{"ActionStatus":"FAIL","ErrorCode":70500,"ErrorInfo":"internal server error"}"#.to_vec()
    });
    ([(CONTENT_TYPE, "application/json")], bytes).into_response()
}
