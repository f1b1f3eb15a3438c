//! Message content as Tencent's `MsgBody` elements, e.g. `{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}`.
//!
//! One representation is used everywhere: on the WebSocket protocol, in storage, in the REST API and
//! in webhooks. Field names are Tencent's (PascalCase). Unknown fields inside a known element are
//! ignored; an unknown `MsgType` is a decoding error.

use serde::{Deserialize, Serialize};

/// The largest message body the server accepts, in bytes of its JSON encoding (elements plus
/// `cloudCustomData`). Tencent documents 12 KB, not adjustable; over it the send fails with 80002.
pub const MAX_MESSAGE_BODY_BYTES: usize = 12 * 1024;

/// One element of a message body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "MsgType", content = "MsgContent")]
#[non_exhaustive]
pub enum MsgElement {
    TIMTextElem(TextElem),
    TIMCustomElem(CustomElem),
    TIMFaceElem(FaceElem),
    TIMLocationElem(LocationElem),
    TIMImageElem(ImageElem),
    TIMSoundElem(SoundElem),
    TIMFileElem(FileElem),
    TIMVideoFileElem(VideoFileElem),
}

impl MsgElement {
    /// A text element.
    pub fn text(text: impl Into<String>) -> MsgElement {
        MsgElement::TIMTextElem(TextElem { text: text.into() })
    }

    /// A custom element with only its `Data` set.
    pub fn custom(data: impl Into<String>) -> MsgElement {
        MsgElement::TIMCustomElem(CustomElem { data: data.into(), ..CustomElem::default() })
    }

    /// The element's `MsgType` string.
    pub fn msg_type(&self) -> &'static str {
        match self {
            MsgElement::TIMTextElem(_) => "TIMTextElem",
            MsgElement::TIMCustomElem(_) => "TIMCustomElem",
            MsgElement::TIMFaceElem(_) => "TIMFaceElem",
            MsgElement::TIMLocationElem(_) => "TIMLocationElem",
            MsgElement::TIMImageElem(_) => "TIMImageElem",
            MsgElement::TIMSoundElem(_) => "TIMSoundElem",
            MsgElement::TIMFileElem(_) => "TIMFileElem",
            MsgElement::TIMVideoFileElem(_) => "TIMVideoFileElem",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextElem {
    #[serde(rename = "Text")]
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomElem {
    #[serde(rename = "Data", default)]
    pub data: String,
    #[serde(rename = "Desc", default, skip_serializing_if = "String::is_empty")]
    pub desc: String,
    #[serde(rename = "Ext", default, skip_serializing_if = "String::is_empty")]
    pub ext: String,
    #[serde(rename = "Sound", default, skip_serializing_if = "String::is_empty")]
    pub sound: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceElem {
    #[serde(rename = "Index", default)]
    pub index: i64,
    #[serde(rename = "Data", default)]
    pub data: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationElem {
    #[serde(rename = "Desc", default)]
    pub desc: String,
    #[serde(rename = "Latitude")]
    pub latitude: f64,
    #[serde(rename = "Longitude")]
    pub longitude: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageElem {
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(rename = "ImageFormat", default)]
    pub image_format: i64,
    #[serde(rename = "ImageInfoArray", default)]
    pub image_info_array: Vec<ImageInfo>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// 1 original, 2 large, 3 thumbnail (REST numbering).
    #[serde(rename = "Type", default)]
    pub kind: i64,
    #[serde(rename = "Size", default)]
    pub size: u64,
    #[serde(rename = "Width", default)]
    pub width: u32,
    #[serde(rename = "Height", default)]
    pub height: u32,
    #[serde(rename = "URL", default)]
    pub url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SoundElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(rename = "Size", default)]
    pub size: u64,
    #[serde(rename = "Second", default)]
    pub second: u64,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID", default)]
    pub uuid: String,
    #[serde(rename = "FileSize", default)]
    pub file_size: u64,
    #[serde(rename = "FileName", default)]
    pub file_name: String,
    #[serde(rename = "Download_Flag", default)]
    pub download_flag: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoFileElem {
    #[serde(rename = "VideoUrl", default)]
    pub video_url: String,
    #[serde(rename = "VideoUUID", default)]
    pub video_uuid: String,
    #[serde(rename = "VideoSize", default)]
    pub video_size: u64,
    #[serde(rename = "VideoSecond", default)]
    pub video_second: u64,
    #[serde(rename = "VideoFormat", default)]
    pub video_format: String,
    #[serde(rename = "VideoDownloadFlag", default)]
    pub video_download_flag: i64,
    #[serde(rename = "ThumbUrl", default)]
    pub thumb_url: String,
    #[serde(rename = "ThumbUUID", default)]
    pub thumb_uuid: String,
    #[serde(rename = "ThumbSize", default)]
    pub thumb_size: u64,
    #[serde(rename = "ThumbWidth", default)]
    pub thumb_width: u32,
    #[serde(rename = "ThumbHeight", default)]
    pub thumb_height: u32,
    #[serde(rename = "ThumbFormat", default)]
    pub thumb_format: String,
    #[serde(rename = "ThumbDownloadFlag", default)]
    pub thumb_download_flag: i64,
}

/// The size of a message body as the 12 KB limit counts it.
pub fn body_size(elements: &[MsgElement], cloud_custom_data: &str) -> usize {
    let elements_size = serde_json::to_vec(elements).map(|encoded| encoded.len()).unwrap_or(usize::MAX);
    elements_size.saturating_add(cloud_custom_data.len())
}
