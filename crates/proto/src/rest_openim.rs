//! REST bodies of `openim`: one-to-one messages sent, imported, read, recalled and edited by an
//! administrator, with Tencent's field names.
//!
//! Fields a command requires are `Option`s here, so that a missing field is answered with the
//! command's documented code rather than a generic JSON error. `MsgBody` is kept as raw JSON for the
//! same reason: an unknown element is 90002, not a parse failure.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::elements::MsgElement;

/// `MsgFlagBits` of a recalled message in `admin_getroammsg` (the official SDK reads 8 as revoked).
pub const MSG_FLAG_REVOKED: u32 = 8;

/// The fields `sendmsg` and `batchsendmsg` share: everything but the receivers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct C2cMessageFields {
    /// 1: the message also reaches the sender's online devices; 2 (or absent): it does not.
    #[serde(rename = "SyncOtherMachine", default)]
    pub sync_other_machine: Option<u32>,
    /// The sender; the administrator when absent.
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    /// Seconds the message is kept for offline receivers; 0 means online only. At most 604800.
    #[serde(rename = "MsgLifeTime", default)]
    pub msg_life_time: Option<u64>,
    /// The caller's sequence, part of the deduplication key.
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: Option<u64>,
    /// A uint32, part of the deduplication key. Required.
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: Option<u64>,
    /// `NoUnread`, `NoLastMsg`, `WithMuteNotifications`.
    #[serde(rename = "SendMsgControl", default)]
    pub send_msg_control: Vec<String>,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Option<Value>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    /// 1: deliver to online receivers only, never stored.
    #[serde(rename = "OnlineOnlyFlag", default)]
    pub online_only_flag: Option<u32>,
    /// 1: the receiver is asked for a read receipt.
    #[serde(rename = "IsNeedReadReceipt", default)]
    pub is_need_read_receipt: Option<u32>,
}

/// `v4/openim/sendmsg`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SendMsgRequest {
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<String>,
    #[serde(flatten)]
    pub message: C2cMessageFields,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendMsgResponse {
    /// Unix seconds.
    #[serde(rename = "MsgTime")]
    pub msg_time: u64,
    /// `{seq}_{random}_{time}`: what `admin_msgwithdraw` and `modify_c2c_msg` take.
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
    /// Mynah's message ID (`{from}-{clientMsgID}`), as the SDKs see it.
    #[serde(rename = "MsgId")]
    pub msg_id: String,
}

/// `v4/openim/batchsendmsg`: one message to up to 500 accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchSendMsgRequest {
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<Vec<String>>,
    #[serde(flatten)]
    pub message: C2cMessageFields,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSendMsgResponse {
    /// The key of the first message stored (every receiver has its own conversation and key; see
    /// `MsgKeyList`).
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
    /// The accounts the message could not be sent to.
    #[serde(rename = "ErrorList")]
    pub error_list: Vec<AccountErrorItem>,
    /// Mynah extension: each receiver's `MsgKey`, since sequences are per conversation here.
    #[serde(rename = "MsgKeyList")]
    pub msg_key_list: Vec<AccountMsgKey>,
}

/// A receiver's failure inside a successful batch answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountErrorItem {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountMsgKey {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
}

/// `v4/openim/importmsg`: a message of the past, stored with its own time and never pushed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportMsgRequest {
    /// 2: history (not unread); 1 or 5: real-time (unread, pushed).
    #[serde(rename = "SyncFromOldSystem", default)]
    pub sync_from_old_system: Option<u32>,
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<String>,
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: Option<u64>,
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: Option<u64>,
    /// Unix seconds. Required.
    #[serde(rename = "MsgTimeStamp", default)]
    pub msg_time_stamp: Option<u64>,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Option<Value>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
}

/// `v4/openim/admin_getroammsg`: one conversation's messages in a time range, seen by one side.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRoamMsgRequest {
    #[serde(rename = "Operator_Account", alias = "From_Account", default)]
    pub operator_account: Option<String>,
    #[serde(rename = "Peer_Account", alias = "To_Account", default)]
    pub peer_account: Option<String>,
    #[serde(rename = "MaxCnt", default)]
    pub max_cnt: Option<u32>,
    /// Unix seconds, inclusive.
    #[serde(rename = "MinTime", default)]
    pub min_time: Option<u64>,
    /// Unix seconds, inclusive.
    #[serde(rename = "MaxTime", default)]
    pub max_time: Option<u64>,
    /// The `LastMsgKey` of the previous page, to continue after it.
    #[serde(rename = "LastMsgKey", default)]
    pub last_msg_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetRoamMsgResponse {
    /// 1 when the range is exhausted, 0 when another page remains.
    #[serde(rename = "Complete")]
    pub complete: u32,
    #[serde(rename = "MsgCnt")]
    pub msg_cnt: u32,
    /// The time of the oldest message of this page (continue with `MaxTime` set to it).
    #[serde(rename = "LastMsgTime")]
    pub last_msg_time: u64,
    #[serde(rename = "LastMsgKey")]
    pub last_msg_key: String,
    /// Oldest first.
    #[serde(rename = "MsgList")]
    pub msg_list: Vec<RoamMessage>,
}

/// One message of `admin_getroammsg`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoamMessage {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgTimeStamp")]
    pub msg_time_stamp: u64,
    /// 0 normal, [`MSG_FLAG_REVOKED`] recalled.
    #[serde(rename = "MsgFlagBits")]
    pub msg_flag_bits: u32,
    #[serde(rename = "IsPeerRead")]
    pub is_peer_read: u32,
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "CloudCustomData")]
    pub cloud_custom_data: String,
}

/// `v4/openim/admin_msgwithdraw`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MsgWithdrawRequest {
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<String>,
    #[serde(rename = "MsgKey", default)]
    pub msg_key: Option<String>,
}

/// `v4/openim/modify_c2c_msg`: replaces `MsgBody`, `CloudCustomData` or both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModifyC2cMsgRequest {
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<String>,
    #[serde(rename = "MsgKey", default)]
    pub msg_key: Option<String>,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Option<Value>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: Option<String>,
}

/// `v4/openim/admin_set_msg_read`: `Report_Account` has read everything `Peer_Account` sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SetMsgReadRequest {
    #[serde(rename = "Report_Account", default)]
    pub report_account: Option<String>,
    #[serde(rename = "Peer_Account", default)]
    pub peer_account: Option<String>,
    /// Unix seconds: messages at or before it are read. Absent: now (everything is read).
    #[serde(rename = "MsgReadTime", default)]
    pub msg_read_time: Option<u64>,
}

/// `v4/openim/get_c2c_unread_msg_num`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct C2cUnreadRequest {
    #[serde(rename = "To_Account", default)]
    pub to_account: Option<String>,
    /// The peers to report one by one (at most 10); the total covers every peer regardless.
    #[serde(rename = "Peer_Account", default)]
    pub peer_account: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct C2cUnreadResponse {
    #[serde(rename = "AllC2CUnreadMsgNum")]
    pub all_c2c_unread_msg_num: u64,
    #[serde(rename = "C2CUnreadMsgNumList")]
    pub c2c_unread_msg_num_list: Vec<PeerUnread>,
    #[serde(rename = "ErrorList")]
    pub error_list: Vec<PeerError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerUnread {
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "C2CUnreadMsgNum")]
    pub c2c_unread_msg_num: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerError {
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: u32,
}

/// A `MsgKey`: `{seq}_{random}_{time}`, the message's sequence in its conversation, its random and
/// its time in unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgKey {
    pub seq: u64,
    pub random: u32,
    pub time: u64,
}

impl MsgKey {
    /// Parses `{seq}_{random}_{time}`; `None` for anything else.
    pub fn parse(key: &str) -> Option<MsgKey> {
        let mut parts = key.split('_');
        let seq = parts.next()?.parse().ok()?;
        let random = parts.next()?.parse().ok()?;
        let time = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(MsgKey { seq, random, time })
    }
}

impl std::fmt::Display for MsgKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}_{}_{}", self.seq, self.random, self.time)
    }
}

/// Decodes a raw `MsgBody`: a non-empty array of known elements. `None` when it is not one.
pub fn decode_msg_body(raw: &Value) -> Option<Vec<MsgElement>> {
    let elements: Vec<MsgElement> = serde_json::from_value(raw.clone()).ok()?;
    (!elements.is_empty()).then_some(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_keys_round_trip() {
        let key = MsgKey { seq: 12, random: 4_000_000_000, time: 1_700_000_000 };
        assert_eq!(key.to_string(), "12_4000000000_1700000000");
        assert_eq!(MsgKey::parse("12_4000000000_1700000000"), Some(key));
        for bad in ["", "1_2", "1_2_3_4", "a_2_3", "1_99999999999_3", "-1_2_3"] {
            assert_eq!(MsgKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn msg_bodies_must_be_non_empty_arrays_of_known_elements() {
        let text = serde_json::json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]);
        assert_eq!(decode_msg_body(&text), Some(vec![MsgElement::text("hi")]));
        assert_eq!(decode_msg_body(&serde_json::json!([])), None);
        assert_eq!(decode_msg_body(&serde_json::json!({"MsgType": "TIMTextElem"})), None);
        assert_eq!(decode_msg_body(&serde_json::json!([{"MsgType": "TIMNopeElem", "MsgContent": {}}])), None);
    }

    #[test]
    fn get_roam_msg_accepts_the_older_field_names() {
        let request: GetRoamMsgRequest =
            serde_json::from_str(r#"{"From_Account":"a","To_Account":"b","MaxCnt":5,"MinTime":1,"MaxTime":2}"#)
                .unwrap();
        assert_eq!(request.operator_account.as_deref(), Some("a"));
        assert_eq!(request.peer_account.as_deref(), Some("b"));
    }
}
