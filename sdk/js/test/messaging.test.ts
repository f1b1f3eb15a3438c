/**
 * Two users exchange messages through a real server: the example flow, message fields,
 * payload translation for every sendable type, send options, history paging and error codes.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, settle, textOf, waitForEvent } from './support/clients.js';
import { type TestServer, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

describe(`messaging`, () => {
  let server: TestServer;
  let alice: ChatSDK;
  let bob: ChatSDK;
  let bobReceived: Message[][];
  let aliceReceived: Message[][];

  before(async () => {
    server = await startServer();
    alice = newChat(server);
    bob = newChat(server);
    bobReceived = record(bob, EVENT.MESSAGE_RECEIVED);
    aliceReceived = record(alice, EVENT.MESSAGE_RECEIVED);
    await loginReady(alice, 'alice');
    await loginReady(bob, 'bob');
  });

  after(async () => {
    await destroyAll(alice, bob);
    await server.dispose();
  });

  test('the example from the issue: create, send, receive', async () => {
    assert.equal(alice.isReady(), true);
    assert.equal(alice.getLoginUser(), 'alice');
    const message = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'hi' } });
    const idBeforeSend = message.ID;
    assert.match(idBeforeSend, /^alice-[A-Za-z0-9_]{1,64}$/);
    assert.equal(message.status, 'unSend');
    assert.equal(message.flow, 'out');
    assert.equal(message.conversationID, 'C2Cbob');

    const arrival = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const { code, data } = await alice.sendMessage(message);
    assert.equal(code, 0);
    assert.equal(data.message, message, 'the same instance resolves');
    assert.equal(message.ID, idBeforeSend, 'the ID does not change when sent');
    assert.equal(message.status, 'success');
    assert.ok(message.sequence >= 1);
    assert.ok(Math.abs(message.time - alice.getServerTime()) <= 5);

    const [received] = await arrival;
    assert.ok(received);
    assert.equal(received.ID, idBeforeSend);
    assert.equal(received.type, TYPES.MSG_TEXT);
    assert.deepEqual(received.payload, { text: 'hi' });
    assert.equal(received.from, 'alice');
    assert.equal(received.to, 'bob');
    assert.equal(received.flow, 'in');
    assert.equal(received.conversationID, 'C2Calice');
    assert.equal(received.conversationType, TYPES.CONV_C2C);
    assert.equal(received.sequence, message.sequence);
    assert.equal(received.time, message.time);
    assert.equal(received.random, message.random);
    assert.equal(received.status, 'success');
    assert.equal(received.isRevoked, false);
    assert.equal(received.isRead, false);
    assert.equal(received.priority, TYPES.MSG_PRIORITY_NORMAL);
    assert.equal(bob.findMessage(idBeforeSend), received);
    assert.equal(alice.findMessage(idBeforeSend), message);

    await settle();
    assert.equal(aliceReceived.flat().length, 0, 'the sending instance never receives its own message');
  });

  test('custom, face, location and @ payloads round-trip through MsgBody', async () => {
    const sent = [
      alice.createCustomMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { data: 'dice', description: '4', extension: 'ext' }, cloudCustomData: '{"k":1}' }),
      alice.createFaceMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { index: 3, data: 'smile' }, priority: TYPES.MSG_PRIORITY_HIGH }),
      alice.createLocationMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { description: 'office', longitude: 113.93, latitude: 22.54 } }),
    ];
    const before = bobReceived.flat().length;
    for (const message of sent) await alice.sendMessage(message);
    await eventually('bob gets 3 messages', () => bobReceived.flat().length === before + 3);
    const got = bobReceived.flat().slice(before);
    assert.deepEqual(got.map((message) => message.ID), sent.map((message) => message.ID), 'in send order');
    assert.equal(got[0]!.type, TYPES.MSG_CUSTOM);
    assert.deepEqual(got[0]!.payload, { data: 'dice', description: '4', extension: 'ext' });
    assert.equal(got[0]!.cloudCustomData, '{"k":1}');
    assert.equal(got[1]!.type, TYPES.MSG_FACE);
    assert.deepEqual(got[1]!.payload, { index: 3, data: 'smile' });
    assert.equal(got[1]!.priority, TYPES.MSG_PRIORITY_HIGH);
    assert.equal(got[2]!.type, TYPES.MSG_LOCATION);
    assert.deepEqual(got[2]!.payload, { description: 'office', longitude: 113.93, latitude: 22.54 });
  });

  test('conversation lists, unread counts and setMessageRead', async () => {
    const { data } = await bob.getConversationList();
    assert.equal(data.isSyncCompleted, true);
    const conversation = data.conversationList.find((candidate) => candidate.conversationID === 'C2Calice');
    assert.ok(conversation);
    assert.equal(conversation.type, TYPES.CONV_C2C);
    assert.equal(conversation.unreadCount, 4);
    assert.equal(bob.getTotalUnreadMessageCount(), 4);
    assert.equal(conversation.lastMessage.type, TYPES.MSG_LOCATION);
    assert.equal(conversation.lastMessage.fromAccount, 'alice');
    assert.equal(conversation.lastMessage.messageForShow, '[位置]');
    assert.ok(conversation.lastMessage.lastSequence >= 4);
    assert.ok(conversation.lastMessage.lastTime > 0);
    assert.equal(conversation.userProfile?.userID, 'alice');

    const aliceSide = (await alice.getConversationList(['C2Cbob'])).data.conversationList;
    assert.equal(aliceSide.length, 1);
    assert.equal(aliceSide[0]!.unreadCount, 0, 'own messages never count');
    assert.equal((await alice.getConversationList([])).data.conversationList.length, 0);

    const totals = waitForEvent<number>(bob, EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (total) => total === 0);
    const response = await bob.setMessageRead({ conversationID: 'C2Calice' });
    assert.equal(response.code, 0);
    await totals;
    assert.equal(conversation.unreadCount, 0);
    assert.equal(bob.getTotalUnreadMessageCount(), 0);
    const profile = await bob.getConversationProfile('C2Calice');
    assert.equal(profile.data.conversation.unreadCount, 0);
    assert.equal(profile.data.conversation.conversationID, 'C2Calice');
    assert.equal(profile.data.conversation, conversation, 'the listed instance');

    const empty = (await bob.getConversationProfile('C2Cnobody')).data.conversation;
    assert.equal(empty.conversationID, 'C2Cnobody');
    assert.equal(empty.unreadCount, 0);
    assert.equal(empty.lastMessage.lastTime, 0);
    assert.equal(empty.lastMessage.type, '');
    assert.ok(!(await bob.getConversationList()).data.conversationList.some((candidate) => candidate.conversationID === 'C2Cnobody'), 'not listed');
  });

  test('history pages of 15 with nextReqMessageID and isCompleted', async () => {
    const carol = newChat(server);
    await loginReady(carol, 'carol');
    try {
      const ids: string[] = [];
      for (let index = 0; index < 32; index += 1) {
        const message = carol.createTextMessage({ to: 'dave', conversationType: TYPES.CONV_C2C, payload: { text: `m${index}` } });
        await carol.sendMessage(message);
        ids.push(message.ID);
      }
      const first = (await carol.getMessageList({ conversationID: 'C2Cdave' })).data;
      assert.equal(first.messageList.length, 15);
      assert.equal(first.isCompleted, false);
      assert.deepEqual(first.messageList.map(textOf), Array.from({ length: 15 }, (_, index) => `m${index + 17}`), 'oldest first');
      assert.equal(first.nextReqMessageID, first.messageList[0]!.ID);
      assert.equal(first.messageList[14], carol.findMessage(ids[31]!), 'one instance per message');
      const second = (await carol.getMessageList({ conversationID: 'C2Cdave', nextReqMessageID: first.nextReqMessageID })).data;
      assert.deepEqual(second.messageList.map(textOf), Array.from({ length: 15 }, (_, index) => `m${index + 2}`));
      assert.equal(second.isCompleted, false);
      const third = (await carol.getMessageList({ conversationID: 'C2Cdave', nextReqMessageID: second.nextReqMessageID })).data;
      assert.deepEqual(third.messageList.map(textOf), ['m0', 'm1']);
      assert.equal(third.isCompleted, true);
      assert.equal(third.nextReqMessageID, '');
      assert.deepEqual([...third.messageList, ...second.messageList, ...first.messageList].map((message) => message.ID), ids);
    } finally {
      await destroyAll(carol);
    }
  });

  test('onlineUserOnly is delivered live, never stored or counted', async () => {
    const before = bob.getTotalUnreadMessageCount();
    const arrival = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const message = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'typing...' } });
    await alice.sendMessage(message, { onlineUserOnly: true });
    assert.equal(message.sequence, 0);
    const [received] = await arrival;
    assert.equal(received!.ID, message.ID);
    await settle();
    assert.equal(bob.getTotalUnreadMessageCount(), before);
    const history = (await bob.getMessageList({ conversationID: 'C2Calice' })).data.messageList;
    assert.ok(!history.some((candidate) => candidate.ID === message.ID), 'not in history');
  });

  test('messageControlInfo: excluded from unread and from lastMessage', async () => {
    await bob.setMessageRead({ conversationID: 'C2Calice' });
    const lastBefore = (await bob.getConversationList(['C2Calice'])).data.conversationList[0]!.lastMessage.lastSequence;
    const quiet = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'quiet' } });
    const arrival = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    await alice.sendMessage(quiet, { messageControlInfo: { excludedFromUnreadCount: true, excludedFromLastMessage: true } });
    await arrival;
    const conversation = (await bob.getConversationList(['C2Calice'])).data.conversationList[0]!;
    assert.equal(conversation.unreadCount, 0);
    assert.equal(conversation.lastMessage.lastSequence, lastBefore);
    const history = (await bob.getMessageList({ conversationID: 'C2Calice' })).data.messageList;
    assert.ok(history.some((candidate) => candidate.ID === quiet.ID), 'still stored');
    const server = await bob.getConversationProfile('C2Calice');
    assert.equal(server.data.conversation.unreadCount, 0);
    assert.equal(server.data.conversation.lastMessage.lastSequence, lastBefore);
  });

  test('errors carry official codes: client-side and from the server', async () => {
    const message = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'x' } });
    await assert.rejects(alice.sendMessage(message, { onlineUserOnly: true, messageControlInfo: {} }), { code: 2905 });
    await assert.rejects(alice.sendMessage({} as Message), { code: 2105 });
    await assert.rejects(bob.sendMessage(message), { code: 2105 }, "another instance's message");
    assert.throws(() => alice.createTextMessage({ to: 'bob', conversationType: 'NOPE', payload: { text: 'x' } }), { code: 2106 });
    assert.throws(() => alice.createTextMessage({ to: '', conversationType: TYPES.CONV_C2C, payload: { text: 'x' } }), { code: 2905 });
    await assert.rejects(alice.getMessageList({ conversationID: 'nope' }), { code: 2503 });
    const big = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'x'.repeat(13 * 1024) } });
    const failure = await alice.sendMessage(big).then(() => undefined, (error: unknown) => error as { code: number; data: { message: Message } });
    assert.equal(failure?.code, 80002, 'the server code passes through');
    assert.ok(failure instanceof Error);
    assert.equal(failure.data.message, big);
    assert.equal(big.status, 'fail');
    const idle = newChat(server);
    await assert.rejects(idle.getConversationList(), { code: 2024 });
    await assert.rejects(idle.login({ userID: 'x', userSig: '' }), { code: 2003 });
    await assert.rejects(idle.login({ userID: '', userSig: 'x' }), { code: 2002 });
    await assert.rejects(idle.login({ userID: 'mallory', userSig: 'not-a-sig' }), (error: { code: number }) => error.code >= 70000 && error.code < 71000);
    assert.equal(idle.getLoginUser(), '');
  });
});
