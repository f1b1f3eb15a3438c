//! The outer layers of a UserSig: zlib (RFC 1950) around the JSON document, then standard base64
//! with `+`, `/`, `=` mapped to `*`, `-`, `_`. Decoding caps every size before allocating.

use std::io::{Read, Write};

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

use crate::UserSigError;

/// The longest encoded UserSig we look at. Genuine ones are a few hundred characters; a userbuf
/// makes them longer, but never by kilobytes.
pub(crate) const MAX_ENCODED_LEN: usize = 8 * 1024;

/// The largest decompressed document we accept. Reading stops one byte past it, so a
/// decompression bomb costs at most this much memory.
pub(crate) const MAX_DOCUMENT_LEN: usize = 16 * 1024;

/// Standard alphabet, but padding may be present or missing: clients and URL handling sometimes
/// drop it, and it carries no information.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Compresses `document` with zlib and encodes it with the UserSig character map.
pub(crate) fn seal(document: &[u8]) -> String {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a `Vec` cannot fail, so neither can compressing into one.
    encoder.write_all(document).expect("zlib compression into memory cannot fail");
    let compressed = encoder.finish().expect("zlib compression into memory cannot fail");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|character| match character {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect()
}

/// Reverses [`seal`]: undoes the character map, base64-decodes and inflates, within the size caps.
pub(crate) fn open(user_sig: &str) -> Result<Vec<u8>, UserSigError> {
    if user_sig.is_empty() {
        return Err(UserSigError::Empty);
    }
    if user_sig.len() > MAX_ENCODED_LEN {
        return Err(UserSigError::TooLarge);
    }
    let standard: Vec<u8> = user_sig
        .bytes()
        .map(|byte| match byte {
            b'*' => b'+',
            b'-' => b'/',
            b'_' => b'=',
            other => other,
        })
        .collect();
    let unpadded = trim_padding(&standard);
    let compressed = LENIENT_STANDARD.decode(unpadded).map_err(|_| UserSigError::Malformed("not valid base64"))?;
    inflate_capped(&compressed, MAX_DOCUMENT_LEN)
}

/// Decodes a standard base64 field inside the document (`TLS.sig`, `TLS.userbuf`), padding optional.
pub(crate) fn decode_base64_field(field: &str) -> Option<Vec<u8>> {
    LENIENT_STANDARD.decode(trim_padding(field.as_bytes())).ok()
}

/// Encodes bytes as standard padded base64, the form the signed content uses for `TLS.userbuf`.
pub(crate) fn encode_base64_field(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Inflates a zlib stream, refusing (with [`UserSigError::TooLarge`]) any output above `limit`
/// bytes. The reader is wrapped in `take(limit + 1)`, so no more than that is ever produced.
pub(crate) fn inflate_capped(compressed: &[u8], limit: usize) -> Result<Vec<u8>, UserSigError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut document = Vec::new();
    ZlibDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut document)
        .map_err(|_| UserSigError::Malformed("not a zlib stream"))?;
    if document.len() > limit {
        return Err(UserSigError::TooLarge);
    }
    Ok(document)
}

fn trim_padding(encoded: &[u8]) -> &[u8] {
    let end = encoded.iter().rposition(|&byte| byte != b'=').map_or(0, |last| last + 1);
    &encoded[..end]
}
