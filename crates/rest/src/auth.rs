//! Who is calling: the query string's `sdkappid`, `identifier` and `usersig` must name an app of
//! this server and its administrator, with a valid UserSig. Each app has its own request budget,
//! charged only once the caller has proved to be the administrator.

use std::num::NonZeroU32;
use std::time::{SystemTime, UNIX_EPOCH};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use mynah_proto::rest::codes;
use mynah_service::Service;

use crate::reply::RestError;

/// The authenticated caller: an app's administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub app: u64,
    pub identifier: String,
}

/// Per-app request budget (keyed GCRA).
pub struct AppRateLimiter {
    limiter: DefaultKeyedRateLimiter<u64>,
}

impl AppRateLimiter {
    pub fn new(requests_per_second: u32) -> AppRateLimiter {
        let rate = NonZeroU32::new(requests_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        AppRateLimiter { limiter: RateLimiter::keyed(Quota::per_second(rate)) }
    }

    pub(crate) fn check(&self, app: u64) -> Result<(), RestError> {
        self.limiter
            .check_key(&app)
            .map_err(|_| RestError::new(codes::RATE_LIMITED, "request rate over the app's limit"))
    }
}

/// Checks the query string and returns the administrator it authenticates.
pub fn authenticate(service: &Service, query: &str) -> Result<Admin, RestError> {
    let parameter = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| decode(value))
    };
    let app_id = parameter("sdkappid").ok_or_else(|| RestError::new(codes::MISSING_SDKAPPID, "sdkappid is missing"))?;
    let app_id: u64 = app_id
        .parse()
        .map_err(|_| RestError::new(codes::BAD_SDKAPPID, format!("sdkappid {app_id:?} is not a number")))?;
    let app = service.apps().get(app_id).ok_or_else(|| {
        RestError::new(codes::BAD_SDKAPPID, format!("sdkappid {app_id} is not an app of this server"))
    })?;
    let identifier = parameter("identifier")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| RestError::new(codes::BAD_IDENTIFIER, "identifier is missing"))?;
    let user_sig = parameter("usersig")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| RestError::new(codes::BAD_USERSIG, "usersig is missing"))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
    mynah_usersig::verify(&user_sig, app_id, &identifier, &app.secret_key, now).map_err(|error| match error {
        mynah_usersig::UserSigError::IdentifierMismatch => {
            RestError::new(codes::BAD_IDENTIFIER, format!("usersig is not {identifier}'s"))
        }
        other => RestError::new(codes::BAD_USERSIG, format!("usersig rejected: {other}")),
    })?;
    if identifier != app.admin_identifier {
        return Err(RestError::new(codes::NOT_ADMIN, format!("{identifier} is not the app's administrator")));
    }
    Ok(Admin { app: app_id, identifier })
}

/// Percent-decodes a query value (`%2B` → `+`; `+` stays `+`, since UserSigs use `*`, `-`, `_` only).
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
            if let Some(byte) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                decoded.push(byte);
                index += 3;
                continue;
            }
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_percent_escapes_only() {
        assert_eq!(decode("a%2Bb"), "a+b");
        assert_eq!(decode("eJy*-_"), "eJy*-_");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%é1"), "%é1");
    }
}
