/**
 * A user's own attributes of a conversation through the official API: `pinConversation` re-sorts
 * the list here and on the user's other devices, `setConversationCustomData` and `markConversation`
 * show on them (each emits `CONVERSATION_LIST_UPDATED`), a device that logs in later finds them,
 * and refused calls carry the client and server codes.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Conversation } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, waitForEvent } from './support/clients.js';
import { type TestServer, serverKind, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;
const skip = serverKind() === 'fake' ? 'the fake server has no conversation attributes' : false;

function ids(list: Conversation[]): string[] {
  return list.map((conversation) => conversation.conversationID);
}

/** A conversation of the instance's cached list. */
async function listed(chat: ChatSDK, conversationID: string): Promise<Conversation | undefined> {
  return (await chat.getConversationList([conversationID])).data.conversationList[0];
}

async function listOf(chat: ChatSDK): Promise<Conversation[]> {
  return (await chat.getConversationList()).data.conversationList;
}

describe('conversation attributes', { skip }, () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];
  const make = (platform: Parameters<typeof newChat>[1] = 'web'): ChatSDK => {
    const chat = newChat(server, platform);
    chats.push(chat);
    return chat;
  };
  let alice: ChatSDK;
  let carol: ChatSDK;
  let bobWeb: ChatSDK;
  let bobAndroid: ChatSDK;

  before(async () => {
    server = await startServer();
    alice = make();
    carol = make();
    bobWeb = make('web');
    bobAndroid = make('android');
    await loginReady(alice, 'alice');
    await loginReady(carol, 'carol');
    await loginReady(bobWeb, 'bob');
    await loginReady(bobAndroid, 'bob');
    const send = (from: ChatSDK, text: string) =>
      from.sendMessage(from.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text } }));
    await send(alice, 'first');
    await send(carol, 'second');
    for (const chat of [bobWeb, bobAndroid]) {
      await eventually('bob lists both conversations', () => chat.getTotalUnreadMessageCount() === 2);
    }
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  test('pinConversation re-sorts the list on this device and the user’s others', async () => {
    assert.deepEqual(ids(await listOf(bobWeb)), ['C2Ccarol', 'C2Calice']);
    const elsewhere = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) => list[0]?.isPinned === true);
    const here = waitForEvent<Conversation[]>(bobWeb, EVENT.CONVERSATION_LIST_UPDATED, (list) => list[0]?.isPinned === true);
    const { code, data } = await bobWeb.pinConversation({ conversationID: 'C2Calice', isPinned: true });
    assert.equal(code, 0);
    assert.deepEqual(data, { conversationID: 'C2Calice' });
    assert.deepEqual(ids(await listOf(bobWeb)), ['C2Calice', 'C2Ccarol'], 're-sorted when the call resolves');
    assert.deepEqual(ids(await here), ['C2Calice', 'C2Ccarol']);
    const other = await elsewhere;
    assert.deepEqual(ids(other), ['C2Calice', 'C2Ccarol']);
    assert.deepEqual(other.map((conversation) => conversation.isPinned), [true, false]);
    // Pinning is bob's own.
    assert.equal((await alice.getConversationProfile('C2Cbob')).data.conversation.isPinned, false);

    // A device that logs in later finds the pin in its first list.
    const bobIos = make('ios');
    await loginReady(bobIos, 'bob');
    const fresh = await listOf(bobIos);
    assert.deepEqual(ids(fresh), ['C2Calice', 'C2Ccarol']);
    assert.equal(fresh[0]!.isPinned, true);

    // A new message to an unpinned conversation does not move it above a pinned one.
    await carol.sendMessage(carol.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'third' } }));
    await eventually('bob gets carol’s second message', () => bobAndroid.getTotalUnreadMessageCount() === 3);
    assert.deepEqual(ids(await listOf(bobAndroid)), ['C2Calice', 'C2Ccarol']);

    const unpinned = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) => list.every((conversation) => !conversation.isPinned));
    await bobWeb.pinConversation({ conversationID: 'C2Calice', isPinned: false });
    assert.deepEqual(ids(await unpinned), ['C2Ccarol', 'C2Calice'], 'back to newest first');
    assert.deepEqual(ids(await listOf(bobWeb)), ['C2Ccarol', 'C2Calice']);
  });

  test('refused pinConversation calls carry the client and server codes', async () => {
    const pin = (options: unknown) => bobWeb.pinConversation(options as Parameters<ChatSDK['pinConversation']>[0]);
    await assert.rejects(pin(undefined), { code: 3153 }, 'no options');
    await assert.rejects(pin({ isPinned: true }), { code: 2503 }, 'no conversationID');
    await assert.rejects(pin({ conversationID: 'alice', isPinned: true }), { code: 2503 }, 'not a conversationID');
    await assert.rejects(pin({ conversationID: 'C2C', isPinned: true }), { code: 2503 }, 'an empty userID');
    await assert.rejects(pin({ conversationID: TYPES.CONV_SYSTEM, isPinned: true }), { code: 2503 }, 'the system conversation');
    await assert.rejects(pin({ conversationID: 'C2Calice' }), { code: 2905 }, 'no isPinned');
    await assert.rejects(pin({ conversationID: 'C2Calice', isPinned: 'yes' }), { code: 2905 }, 'isPinned not a boolean');
    // Server codes: a one-to-one conversation bob does not have, a group that does not exist.
    await assert.rejects(pin({ conversationID: 'C2Cdave', isPinned: true }), { code: 20001 });
    await assert.rejects(pin({ conversationID: 'GROUPno-such-group', isPinned: true }), { code: 10010 });
    const { data } = await alice.createGroup({ name: 'team', type: TYPES.GRP_WORK });
    await assert.rejects(pin({ conversationID: `GROUP${data.group.groupID}`, isPinned: true }), { code: 10007 }, 'not a member');
  });

  test('setConversationCustomData shows on this device and the user’s others, per-conversation failures listed', async () => {
    const elsewhere = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.customData === 'tag:work'));
    const { code, data } = await bobWeb.setConversationCustomData({ conversationIDList: ['C2Calice', 'C2Cdave', 'GROUPno-such-group'], customData: 'tag:work' });
    assert.equal(code, 0);
    assert.deepEqual(data.successConversationIDList, ['C2Calice']);
    assert.deepEqual(data.failureConversationIDList.map((failure) => [failure.conversationID, failure.code]), [['C2Cdave', 20001], ['GROUPno-such-group', 10010]]);
    const here = (await bobWeb.getConversationList(['C2Calice'])).data.conversationList;
    assert.equal(here[0]!.customData, 'tag:work', 'set when the call resolves');
    const other = await elsewhere;
    assert.equal(other.find((conversation) => conversation.conversationID === 'C2Calice')!.customData, 'tag:work');
    assert.equal((await alice.getConversationProfile('C2Cbob')).data.conversation.customData, '', 'bob’s own');

    const bobMac = make('mac');
    await loginReady(bobMac, 'bob');
    assert.equal((await bobMac.getConversationList(['C2Calice'])).data.conversationList[0]!.customData, 'tag:work');

    // 256 bytes are the most; '' clears.
    const longest = '数'.repeat(85) + 'a';
    await bobWeb.setConversationCustomData({ conversationIDList: ['C2Calice'], customData: longest });
    await assert.rejects(bobWeb.setConversationCustomData({ conversationIDList: ['C2Calice'], customData: `${longest}b` }), { code: 20001 }, 'over 256 bytes');
    assert.equal((await bobWeb.getConversationProfile('C2Calice')).data.conversation.customData, longest);
    const cleared = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.every((conversation) => conversation.customData === ''));
    await bobWeb.setConversationCustomData({ conversationIDList: ['C2Calice'], customData: '' });
    await cleared;

    const set = (options: unknown) => bobWeb.setConversationCustomData(options as Parameters<ChatSDK['setConversationCustomData']>[0]);
    await assert.rejects(set(undefined), { code: 3153 }, 'no options');
    await assert.rejects(set({ customData: 'x' }), { code: 2905 }, 'no conversationIDList');
    await assert.rejects(set({ conversationIDList: [], customData: 'x' }), { code: 2905 }, 'an empty conversationIDList');
    await assert.rejects(set({ conversationIDList: ['C2Calice'] }), { code: 2905 }, 'no customData');
    const many = Array.from({ length: 101 }, (_, index) => `C2Cuser${index}`);
    await assert.rejects(set({ conversationIDList: many, customData: 'x' }), { code: 20001 }, 'over 100 conversations');
  });

  test('markConversation sets and clears marks on every device; the list filters by them', async () => {
    const starred = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.markList.includes(TYPES.CONV_MARK_TYPE_STAR)));
    const { data } = await bobWeb.markConversation({ conversationIDList: ['C2Calice', 'C2Cdave'], markType: TYPES.CONV_MARK_TYPE_STAR, enableMark: true });
    assert.deepEqual(data.successConversationIDList, ['C2Calice']);
    assert.deepEqual(data.failureConversationIDList.map((failure) => [failure.conversationID, failure.code]), [['C2Cdave', 20001]]);
    assert.deepEqual((await bobWeb.getConversationList(['C2Calice'])).data.conversationList[0]!.markList, [TYPES.CONV_MARK_TYPE_STAR]);
    await starred;

    // A custom mark up to 2^63 (JavaScript's 2 ** 63 is exact) goes through the wire whole.
    const custom = 2 ** 63;
    const both = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.markList.length === 2));
    await bobWeb.markConversation({ conversationIDList: ['C2Calice'], markType: custom, enableMark: true });
    const other = await both;
    assert.deepEqual(other.find((conversation) => conversation.conversationID === 'C2Calice')!.markList, [TYPES.CONV_MARK_TYPE_STAR, custom]);
    const filtered = (await bobAndroid.getConversationList({ markType: TYPES.CONV_MARK_TYPE_STAR })).data.conversationList;
    assert.deepEqual(ids(filtered), ['C2Calice']);
    const unmarked = (await bobAndroid.getConversationList({ markType: 0 })).data.conversationList;
    assert.deepEqual(ids(unmarked), ['C2Ccarol']);

    const bobLinux = make('linux');
    await loginReady(bobLinux, 'bob');
    assert.deepEqual((await bobLinux.getConversationList(['C2Calice'])).data.conversationList[0]!.markList, [TYPES.CONV_MARK_TYPE_STAR, custom]);

    const cleared = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.every((conversation) => !conversation.markList.includes(TYPES.CONV_MARK_TYPE_STAR)));
    await bobWeb.markConversation({ conversationIDList: ['C2Calice'], markType: TYPES.CONV_MARK_TYPE_STAR, enableMark: false });
    await cleared;
    assert.deepEqual((await bobWeb.getConversationProfile('C2Calice')).data.conversation.markList, [custom]);
    assert.deepEqual((await alice.getConversationProfile('C2Cbob')).data.conversation.markList, [], 'bob’s own');

    const mark = (options: unknown) => bobWeb.markConversation(options as Parameters<ChatSDK['markConversation']>[0]);
    for (const markType of [0, 3, 16, 2 ** 31, 2 ** 64, -1, 1.5]) {
      await assert.rejects(mark({ conversationIDList: ['C2Calice'], markType, enableMark: true }), { code: 20001 }, `markType ${markType}`);
    }
    await assert.rejects(mark(undefined), { code: 3153 }, 'no options');
    await assert.rejects(mark({ conversationIDList: [], markType: 1, enableMark: true }), { code: 2905 }, 'an empty conversationIDList');
    await assert.rejects(mark({ conversationIDList: ['C2Calice'], markType: 'star', enableMark: true }), { code: 2905 }, 'markType not a number');
    await assert.rejects(mark({ conversationIDList: ['C2Calice'], markType: 1 }), { code: 2905 }, 'no enableMark');
  });

  test('setConversationDraft is this instance’s own: never on the user’s other devices', async () => {
    const here = waitForEvent<Conversation[]>(bobWeb, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.draftText === 'half a thought'));
    const { code } = await bobWeb.setConversationDraft({ conversationID: 'C2Calice', draftText: 'half a thought' });
    assert.equal(code, 0);
    await here;
    assert.equal((await bobWeb.getConversationList(['C2Calice'])).data.conversationList[0]!.draftText, 'half a thought');
    // A later server answer for the conversation keeps the draft.
    assert.equal((await bobWeb.getConversationProfile('C2Calice')).data.conversation.draftText, 'half a thought');
    // A draft of a conversation not listed yet shows once it is.
    await bobWeb.setConversationDraft({ conversationID: 'C2Cerin', draftText: 'for erin' });
    const erinListed = waitForEvent<Conversation[]>(bobWeb, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.conversationID === 'C2Cerin'));
    const erinOnAndroid = waitForEvent<Conversation[]>(bobAndroid, EVENT.CONVERSATION_LIST_UPDATED, (list) =>
      list.some((conversation) => conversation.conversationID === 'C2Cerin'));
    const erin = make();
    await loginReady(erin, 'erin');
    await erin.sendMessage(erin.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'hi bob' } }));
    assert.equal((await erinListed).find((conversation) => conversation.conversationID === 'C2Cerin')!.draftText, 'for erin');
    await erinOnAndroid;

    assert.equal((await listed(bobAndroid, 'C2Calice'))!.draftText, '', 'not synced to other devices');
    assert.equal((await listed(bobAndroid, 'C2Cerin'))!.draftText, '', 'not synced to other devices');
    await bobWeb.setConversationDraft({ conversationID: 'C2Calice', draftText: '' });
    assert.equal((await listed(bobWeb, 'C2Calice'))!.draftText, '');

    const draft = (options: unknown) => bobWeb.setConversationDraft(options as Parameters<ChatSDK['setConversationDraft']>[0]);
    await assert.rejects(draft(undefined), { code: 3153 }, 'no options');
    await assert.rejects(draft({ draftText: 'x' }), { code: 2503 }, 'no conversationID');
    await assert.rejects(draft({ conversationID: 'nonsense', draftText: 'x' }), { code: 2503 }, 'not a conversationID');
    await assert.rejects(draft({ conversationID: TYPES.CONV_SYSTEM, draftText: 'x' }), { code: 2503 }, 'the system conversation');
    await assert.rejects(draft({ conversationID: 'C2Calice' }), { code: 2905 }, 'no draftText');
  });
});
