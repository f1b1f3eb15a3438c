//! Fuzzes the WebSocket frame decoders: `RequestFrame::decode` (what the server reads) and
//! `ServerFrame` (what the SDK reads). Neither may panic; a request that decodes must re-encode to
//! a frame that decodes to the same request.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mynah_proto::frames::{RequestFrame, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match RequestFrame::decode(text) {
        Ok(frame) => {
            let encoded = serde_json::to_string(&frame).expect("a decoded frame encodes");
            assert_eq!(RequestFrame::decode(&encoded).expect("a re-encoded frame decodes"), frame);
        }
        Err(error) => assert!(!error.reason.is_empty()),
    }
    let _ = serde_json::from_str::<ServerFrame>(text);
});
