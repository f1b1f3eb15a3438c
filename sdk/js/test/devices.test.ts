/**
 * One user on several devices: multi-device delivery without self-echo, read marks synced across
 * devices, offline and back, kick-out by a second web login, logout and login again.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Conversation, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, settle, userSigFor, waitForEvent } from './support/clients.js';
import { type TestServer, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

function text(chat: ChatSDK, to: string, body: string): Message {
  return chat.createTextMessage({ to, conversationType: TYPES.CONV_C2C, payload: { text: body } });
}

function conversationIn(list: Conversation[], conversationID: string): Conversation | undefined {
  return list.find((candidate) => candidate.conversationID === conversationID);
}

describe('devices', () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];
  const make = (platform: Parameters<typeof newChat>[1] = 'web'): ChatSDK => {
    const chat = newChat(server, platform);
    chats.push(chat);
    return chat;
  };

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  test('a message reaches every device of the receiver and the sender’s other devices, never the sending one', async () => {
    const aliceWeb = make('web');
    const aliceAndroid = make('android');
    const bob = make('ios');
    const webGot = record<Message[]>(aliceWeb, EVENT.MESSAGE_RECEIVED);
    const androidGot = record<Message[]>(aliceAndroid, EVENT.MESSAGE_RECEIVED);
    const bobGot = record<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    await loginReady(aliceWeb, 'alice');
    await loginReady(aliceAndroid, 'alice');
    await loginReady(bob, 'bob');

    const fromBob = text(bob, 'alice', 'hello alice');
    await bob.sendMessage(fromBob);
    await eventually('both alice devices get bob’s message', () => webGot.flat().length === 1 && androidGot.flat().length === 1);
    assert.equal(webGot.flat()[0]!.ID, fromBob.ID);
    assert.equal(androidGot.flat()[0]!.ID, fromBob.ID);

    const fromWeb = text(aliceWeb, 'bob', 'hello bob');
    await aliceWeb.sendMessage(fromWeb);
    await eventually('alice’s android and bob get it', () => androidGot.flat().length === 2 && bobGot.flat().length === 1);
    const synced = androidGot.flat()[1]!;
    assert.equal(synced.ID, fromWeb.ID);
    assert.equal(synced.flow, 'out', 'own message from another device');
    assert.equal(synced.conversationID, 'C2Cbob');
    await settle();
    assert.equal(webGot.flat().length, 1, 'no echo on the sending device');
    assert.equal(bobGot.flat().length, 1);
    await destroyAll(aliceWeb, aliceAndroid, bob);
  });

  test('unread counts agree across devices and a read on one device clears the others', async () => {
    const carolWeb = make('web');
    const carolMac = make('mac');
    const dave = make('web');
    await loginReady(carolWeb, 'carol');
    await loginReady(carolMac, 'carol');
    await loginReady(dave, 'dave');
    for (const body of ['one', 'two', 'three']) await dave.sendMessage(text(dave, 'carol', body));
    await eventually('3 unread on both devices', () => carolWeb.getTotalUnreadMessageCount() === 3 && carolMac.getTotalUnreadMessageCount() === 3);
    const webList = (await carolWeb.getConversationList()).data.conversationList;
    assert.equal(conversationIn(webList, 'C2Cdave')?.unreadCount, 3);

    const cleared = waitForEvent<number>(carolWeb, EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (total) => total === 0);
    const listUpdate = waitForEvent<Conversation[]>(carolWeb, EVENT.CONVERSATION_LIST_UPDATED, (list) => conversationIn(list, 'C2Cdave')?.unreadCount === 0);
    await carolMac.setMessageRead({ conversationID: 'C2Cdave' });
    await cleared;
    await listUpdate;
    assert.equal(carolWeb.getTotalUnreadMessageCount(), 0);
    const history = (await carolWeb.getMessageList({ conversationID: 'C2Cdave' })).data.messageList;
    assert.ok(history.every((message) => message.isRead), 'cached messages are marked read');

    // Replying from one device marks the conversation read there and everywhere.
    await dave.sendMessage(text(dave, 'carol', 'four'));
    await eventually('1 unread again', () => carolWeb.getTotalUnreadMessageCount() === 1 && carolMac.getTotalUnreadMessageCount() === 1);
    await carolMac.sendMessage(text(carolMac, 'dave', 'reply'));
    await eventually('the reply clears unread on the web too', () => carolWeb.getTotalUnreadMessageCount() === 0);
    await destroyAll(carolWeb, carolMac, dave);
  });

  test('offline and back: messages sent while logged out show up as unread, not as new events', async () => {
    const erin = make('web');
    const frank = make('web');
    await loginReady(frank, 'frank');
    await loginReady(erin, 'erin');
    await erin.logout();
    const sent = [text(frank, 'erin', 'while you were out'), text(frank, 'erin', 'and again')];
    for (const message of sent) await frank.sendMessage(message);

    const received = record<Message[]>(erin, EVENT.MESSAGE_RECEIVED);
    const lists = record<Conversation[]>(erin, EVENT.CONVERSATION_LIST_UPDATED);
    await loginReady(erin, 'erin');
    assert.ok(lists.length >= 1, 'the list is published by SDK_READY');
    const conversation = conversationIn((await erin.getConversationList()).data.conversationList, 'C2Cfrank');
    assert.equal(conversation?.unreadCount, 2);
    assert.equal(conversation?.lastMessage.messageForShow, 'and again');
    assert.equal(erin.getTotalUnreadMessageCount(), 2);
    const history = (await erin.getMessageList({ conversationID: 'C2Cfrank' })).data.messageList;
    assert.deepEqual(history.map((message) => message.ID), sent.map((message) => message.ID));
    assert.ok(history.every((message) => !message.isRead));
    await settle();
    assert.equal(received.flat().length, 0, 'history is not announced as received');

    const live = text(frank, 'erin', 'live now');
    await frank.sendMessage(live);
    await eventually('the next message is announced', () => received.flat().length === 1);
    assert.equal(received.flat()[0]!.ID, live.ID);
    await destroyAll(erin, frank);
  });

  test('a second web login kicks the first out with KICKED_OUT_MULT_ACCOUNT; other platforms stay', async () => {
    const first = make('web');
    const second = make('web');
    const phone = make('android');
    await loginReady(first, 'grace');
    await loginReady(phone, 'grace');
    const notReady = waitForEvent(first, EVENT.SDK_NOT_READY);
    const kicked = waitForEvent<{ type: string }>(first, EVENT.KICKED_OUT);
    const phoneKicks = record(phone, EVENT.KICKED_OUT);
    await loginReady(second, 'grace');
    assert.deepEqual(await kicked, { type: TYPES.KICKED_OUT_MULT_ACCOUNT });
    await notReady;
    assert.equal(first.isReady(), false);
    assert.equal(first.getLoginUser(), '');
    await assert.rejects(first.getConversationList(), { code: 2024 });
    await settle();
    assert.equal(phoneKicks.length, 0);
    assert.equal(second.isReady(), true);
    assert.equal(phone.isReady(), true);
    await second.sendMessage(text(second, 'heidi', 'still here'));
    await destroyAll(first, second, phone);
  });

  test('logout clears the state; login again works and a repeat login says so', async () => {
    const ivan = make('web');
    await loginReady(ivan, 'ivan');
    const again = await ivan.login({ userID: 'ivan', userSig: await userSigFor('ivan') });
    assert.equal(again.data.repeatLogin, true);
    await ivan.sendMessage(text(ivan, 'judy', 'before logout'));
    const notReady = waitForEvent(ivan, EVENT.SDK_NOT_READY);
    assert.equal((await ivan.logout()).code, 0);
    await notReady;
    assert.equal(ivan.isReady(), false);
    assert.equal(ivan.getLoginUser(), '');
    assert.equal(ivan.getTotalUnreadMessageCount(), 0);
    await loginReady(ivan, 'ivan');
    const list = (await ivan.getConversationList()).data.conversationList;
    assert.equal(conversationIn(list, 'C2Cjudy')?.lastMessage.messageForShow, 'before logout');
    await ivan.logout();
    await loginReady(ivan, 'ivan2');
    assert.equal(ivan.getLoginUser(), 'ivan2');
    assert.equal((await ivan.getConversationList()).data.conversationList.length, 0, 'another user sees nothing of ivan');
    await destroyAll(ivan);
  });

  test('an expired or forged UserSig is refused with the server’s code', async () => {
    const kim = make('web');
    const expired = await userSigFor('kim', { expireTime: 60, currentTime: Math.floor(Date.now() / 1000) - 3600 });
    await assert.rejects(kim.login({ userID: 'kim', userSig: expired }), { code: 70001 });
    const forged = await userSigFor('someone-else');
    await assert.rejects(kim.login({ userID: 'kim', userSig: forged }), { code: 70013 });
    assert.equal(kim.isReady(), false);
    await loginReady(kim, 'kim');
  });

  test('create returns one instance per SDKAppID until destroyed', async () => {
    const options = { SDKAppID: 1400000009, proxyServer: server.url };
    const first = TencentCloudChat.create(options);
    assert.equal(TencentCloudChat.create(options), first);
    assert.notEqual(TencentCloudChat.create({ ...options, SDKAppID: 1400000010 }), first);
    const destroyed = waitForEvent(first, EVENT.SDK_DESTROY);
    await first.destroy();
    await destroyed;
    assert.notEqual(TencentCloudChat.create(options), first);
    assert.equal('TIM' in TencentCloudChat, false, 'TIM is a named export, not a key of the default');
  });
});
