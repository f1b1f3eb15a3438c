/**
 * Message content translation: Tencent `MsgBody` elements on the wire
 * (`{MsgType: 'TIMTextElem', MsgContent: {Text}}`) to and from the SDK's `message.payload`
 * (`{text}`), plus the conversation list's `messageForShow` text.
 *
 * @packageDocumentation
 */

import { TYPES } from './constants.js';
import type { WireMsgElement } from './wire.js';

/** `message.payload` of a text message (`TYPES.MSG_TEXT`); `atUserList` only for @ messages. */
export interface TextPayload { text: string; atUserList?: string[] }
/** `message.payload` of a custom message (`TYPES.MSG_CUSTOM`). */
export interface CustomPayload { data: string; description: string; extension: string }
/** `message.payload` of a face message (`TYPES.MSG_FACE`). */
export interface FacePayload { index: number; data: string }
/** `message.payload` of a location message (`TYPES.MSG_LOCATION`). */
export interface LocationPayload { description: string; longitude: number; latitude: number }

/** A message type plus payload, as the SDK exposes them. */
export interface TypedPayload {
  type: string;
  payload: any;
}

/** Converts the first element of a wire body to `{type, payload}`. Unknown elements keep their raw content. */
export function payloadFromElements(elements: WireMsgElement[]): TypedPayload {
  const element = elements[0];
  if (!element) return { type: TYPES.MSG_TEXT, payload: { text: '' } };
  switch (element.MsgType) {
    case 'TIMTextElem':
      return { type: TYPES.MSG_TEXT, payload: { text: element.MsgContent.Text ?? '' } };
    case 'TIMCustomElem':
      return {
        type: TYPES.MSG_CUSTOM,
        payload: {
          data: element.MsgContent.Data ?? '',
          description: element.MsgContent.Desc ?? '',
          extension: element.MsgContent.Ext ?? '',
        },
      };
    case 'TIMFaceElem':
      return { type: TYPES.MSG_FACE, payload: { index: element.MsgContent.Index ?? 0, data: element.MsgContent.Data ?? '' } };
    case 'TIMLocationElem':
      return {
        type: TYPES.MSG_LOCATION,
        payload: {
          description: element.MsgContent.Desc ?? '',
          longitude: element.MsgContent.Longitude,
          latitude: element.MsgContent.Latitude,
        },
      };
    case 'TIMImageElem':
      return {
        type: TYPES.MSG_IMAGE,
        payload: {
          uuid: element.MsgContent.UUID ?? '',
          imageFormat: element.MsgContent.ImageFormat ?? 0,
          // The REST API numbers sizes 1 original, 2 large, 3 thumbnail; the Web SDK 0, 1, 2.
          imageInfoArray: (element.MsgContent.ImageInfoArray ?? []).map((info) => ({
            type: Math.max(0, (info.Type ?? 1) - 1),
            size: info.Size ?? 0,
            width: info.Width ?? 0,
            height: info.Height ?? 0,
            url: info.URL ?? '',
          })),
        },
      };
    case 'TIMSoundElem':
      return {
        type: TYPES.MSG_AUDIO,
        payload: {
          uuid: element.MsgContent.UUID ?? '',
          url: element.MsgContent.Url ?? '',
          size: element.MsgContent.Size ?? 0,
          second: element.MsgContent.Second ?? 0,
          downloadFlag: element.MsgContent.Download_Flag ?? 0,
        },
      };
    case 'TIMFileElem':
      return {
        type: TYPES.MSG_FILE,
        payload: {
          uuid: element.MsgContent.UUID ?? '',
          fileUrl: element.MsgContent.Url ?? '',
          fileName: element.MsgContent.FileName ?? '',
          fileSize: element.MsgContent.FileSize ?? 0,
          downloadFlag: element.MsgContent.Download_Flag ?? 0,
        },
      };
    case 'TIMVideoFileElem': {
      const video = element.MsgContent;
      return {
        type: TYPES.MSG_VIDEO,
        payload: {
          videoUrl: video.VideoUrl ?? '',
          videoUUID: video.VideoUUID ?? '',
          videoSize: video.VideoSize ?? 0,
          videoSecond: video.VideoSecond ?? 0,
          videoFormat: video.VideoFormat ?? '',
          videoDownloadFlag: video.VideoDownloadFlag ?? 0,
          thumbUrl: video.ThumbUrl ?? '',
          thumbUUID: video.ThumbUUID ?? '',
          thumbSize: video.ThumbSize ?? 0,
          thumbWidth: video.ThumbWidth ?? 0,
          thumbHeight: video.ThumbHeight ?? 0,
          thumbFormat: video.ThumbFormat ?? '',
          thumbDownloadFlag: video.ThumbDownloadFlag ?? 0,
        },
      };
    }
    default: {
      const unknown = element as { MsgType: string; MsgContent: unknown };
      return { type: unknown.MsgType, payload: unknown.MsgContent };
    }
  }
}

/** Converts a sendable `{type, payload}` to a wire body; `undefined` for types that cannot be sent yet. */
export function elementsFromPayload(type: string, payload: any): WireMsgElement[] | undefined {
  switch (type) {
    case TYPES.MSG_TEXT:
      return [{ MsgType: 'TIMTextElem', MsgContent: { Text: String(payload.text) } }];
    case TYPES.MSG_CUSTOM: {
      const content: { Data: string; Desc?: string; Ext?: string } = { Data: String(payload.data ?? '') };
      if (payload.description) content.Desc = String(payload.description);
      if (payload.extension) content.Ext = String(payload.extension);
      return [{ MsgType: 'TIMCustomElem', MsgContent: content }];
    }
    case TYPES.MSG_FACE:
      return [{ MsgType: 'TIMFaceElem', MsgContent: { Index: Number(payload.index), Data: String(payload.data ?? '') } }];
    case TYPES.MSG_LOCATION:
      return [
        {
          MsgType: 'TIMLocationElem',
          MsgContent: { Desc: String(payload.description ?? ''), Latitude: Number(payload.latitude), Longitude: Number(payload.longitude) },
        },
      ];
    default:
      return undefined;
  }
}

/** The text the conversation list shows for a message (`lastMessage.messageForShow`). */
export function messageForShow(type: string, payload: any): string {
  switch (type) {
    case TYPES.MSG_TEXT:
      return String(payload?.text ?? '');
    case TYPES.MSG_IMAGE:
      return '[图片]';
    case TYPES.MSG_AUDIO:
      return '[语音]';
    case TYPES.MSG_VIDEO:
      return '[视频]';
    case TYPES.MSG_FILE:
      return '[文件]';
    case TYPES.MSG_FACE:
      return '[动画表情]';
    case TYPES.MSG_LOCATION:
      return '[位置]';
    case TYPES.MSG_CUSTOM:
      return '[自定义消息]';
    case TYPES.MSG_MERGER:
      return '[聊天记录]';
    default:
      return '';
  }
}
