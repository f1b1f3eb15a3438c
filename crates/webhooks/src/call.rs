//! One callback over HTTP: `POST {url}?SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=`
//! with a JSON body; the reply is Tencent's `{"ActionStatus","ErrorCode","ErrorInfo",...}`.

use std::time::Duration;

use mynah_proto::webhooks::CallbackReply;
use serde::Serialize;

use crate::Webhooks;

/// Why a callback did not produce a reply.
#[derive(Debug)]
pub enum CallFailure {
    /// No answer within the timeout.
    Timeout,
    /// The connection failed or the server answered with a non-2xx status.
    Http(String),
    /// The answer was not a readable reply.
    BadReply(String),
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallFailure::Timeout => write!(formatter, "timed out"),
            CallFailure::Http(reason) => write!(formatter, "http: {reason}"),
            CallFailure::BadReply(reason) => write!(formatter, "unreadable reply: {reason}"),
        }
    }
}

/// Where the event came from, for the query string.
pub struct CallOrigin<'a> {
    pub client_ip: &'a str,
    pub platform: &'a str,
}

/// Calls `url` with `body` and reads the reply.
pub async fn call<T: Serialize>(
    webhooks: &Webhooks,
    url: &str,
    app: u64,
    command: &str,
    origin: &CallOrigin<'_>,
    body: &T,
    timeout: Duration,
) -> Result<CallbackReply, CallFailure> {
    let query = [
        ("SdkAppid", app.to_string()),
        ("CallbackCommand", command.to_owned()),
        ("contenttype", "json".to_owned()),
        ("ClientIP", origin.client_ip.to_owned()),
        ("OptPlatform", origin.platform.to_owned()),
    ];
    let separator = if url.contains('?') { '&' } else { '?' };
    let query: Vec<String> = query.iter().map(|(key, value)| format!("{key}={}", encode(value))).collect();
    let full_url = format!("{url}{separator}{}", query.join("&"));
    let request = webhooks.http().post(full_url).json(body).timeout(timeout).send();
    let response = request.await.map_err(|error| {
        if error.is_timeout() { CallFailure::Timeout } else { CallFailure::Http(error.to_string()) }
    })?;
    if !response.status().is_success() {
        return Err(CallFailure::Http(format!("status {}", response.status())));
    }
    let bytes = response.bytes().await.map_err(|error| {
        if error.is_timeout() { CallFailure::Timeout } else { CallFailure::Http(error.to_string()) }
    })?;
    serde_json::from_slice(&bytes).map_err(|error| CallFailure::BadReply(error.to_string()))
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_query_values() {
        assert_eq!(super::encode("C2C.CallbackBeforeSendMsg"), "C2C.CallbackBeforeSendMsg");
        assert_eq!(super::encode("a b&c"), "a%20b%26c");
        assert_eq!(super::encode("::1"), "%3A%3A1");
    }
}
