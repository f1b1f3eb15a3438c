/**
 * Connection loss: automatic reconnects with NET_STATE_CHANGE, resync of what was missed without
 * duplicates, sends that survive a lost ack or a server restart (same clientMsgID), heartbeats that
 * detect a dead connection, and a clear error when the server stays away.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Group, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, settle, userSigFor, waitForEvent } from './support/clients.js';
import { Network } from './support/network.js';
import { type TestServer, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

function text(chat: ChatSDK, to: string, body: string): Message {
  return chat.createTextMessage({ to, conversationType: TYPES.CONV_C2C, payload: { text: body } });
}

function ids(batches: Message[][]): string[] {
  return batches.flat().map((message) => message.ID);
}

describe('reconnect', () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  test('after a network cut the SDK reconnects, reports NET_STATE_CHANGE and resyncs what it missed exactly once', async () => {
    const network = new Network();
    const alice = newChat(server, 'web', { webSocketFactory: network.factory });
    const alicePhone = newChat(server, 'android');
    const bob = newChat(server, 'web');
    chats.push(alice, alicePhone, bob);
    await loginReady(alice, 'alice');
    await loginReady(alicePhone, 'alice');
    await loginReady(bob, 'bob');
    await bob.sendMessage(text(bob, 'alice', 'before the cut'));
    await eventually('alice has 1 unread', () => alice.getTotalUnreadMessageCount() === 1);

    const received = record<Message[]>(alice, EVENT.MESSAGE_RECEIVED);
    const states = record<{ state: string }>(alice, EVENT.NET_STATE_CHANGE);
    const groupLists = record<Group[]>(alice, EVENT.GROUP_LIST_UPDATED);
    network.blocked = true;
    network.cut();
    await eventually('alice notices', () => states.some((event) => event.state === TYPES.NET_STATE_CONNECTING));
    assert.equal(alice.isReady(), true, 'still ready while reconnecting');

    // While alice is away: the phone reads the old message, bob sends three more and adds her to a group.
    await alicePhone.setMessageRead({ conversationID: 'C2Cbob' });
    const missed = [text(bob, 'alice', 'm1'), text(bob, 'alice', 'm2'), text(bob, 'alice', 'm3')];
    for (const message of missed) await bob.sendMessage(message);
    const { data } = await bob.createGroup({ name: 'while away', type: TYPES.GRP_MEETING, memberList: [{ userID: 'alice' }] });
    await settle(800);
    assert.equal(received.length, 0);

    network.blocked = false;
    await eventually('connected again', () => states.some((event) => event.state === TYPES.NET_STATE_CONNECTED));
    await eventually('the three missed messages arrive', () => received.flat().length === 3);
    assert.deepEqual(ids(received), missed.map((message) => message.ID), 'in order');
    await eventually('the group shows up', () => groupLists.some((list) => list.some((group) => group.groupID === data.group.groupID)));
    await eventually('unread = the three new ones', () => alice.getTotalUnreadMessageCount() === 3);
    await settle(500);
    assert.equal(received.flat().length, 3, 'nothing twice');
    const history = (await alice.getMessageList({ conversationID: 'C2Cbob' })).data.messageList;
    assert.equal(new Set(history.map((message) => message.ID)).size, history.length);
    assert.equal(history.length, 4);

    const after = text(bob, 'alice', 'after');
    await bob.sendMessage(after);
    await eventually('live pushes resume', () => received.flat().length === 4);
    assert.equal(received.flat()[3]!.ID, after.ID);
  });

  test('a lost send ack is resent on the new connection with the same clientMsgID and stored once', async () => {
    const network = new Network();
    const carol = newChat(server, 'web', { webSocketFactory: network.factory });
    const dave = newChat(server, 'web');
    chats.push(carol, dave);
    await loginReady(carol, 'carol');
    await loginReady(dave, 'dave');
    const daveGot = record<Message[]>(dave, EVENT.MESSAGE_RECEIVED);

    const message = text(carol, 'dave', 'ack me');
    const id = message.ID;
    network.loseNextAck('sendMessage');
    const { data } = await carol.sendMessage(message);
    assert.equal(data.message.ID, id);
    assert.equal(message.status, 'success');
    assert.equal(network.sentOps.filter((op) => op === 'sendMessage').length, 2, 'sent twice on two connections');
    assert.equal(network.connections, 2);
    await eventually('dave gets it', () => daveGot.flat().length === 1);
    await settle(500);
    assert.deepEqual(ids(daveGot), [id], 'exactly once');
    const history = (await dave.getMessageList({ conversationID: 'C2Ccarol' })).data.messageList;
    assert.deepEqual(history.map((candidate) => candidate.ID), [id]);
  });

  test('a send whose ack never comes fails; the resync then finds the stored original under the same ID', async () => {
    const network = new Network();
    const erin = newChat(server, 'web', { webSocketFactory: network.factory, requestTimeoutMs: 1500 });
    const frank = newChat(server, 'web');
    chats.push(erin, frank);
    await loginReady(erin, 'erin');
    await loginReady(frank, 'frank');
    const frankGot = record<Message[]>(frank, EVENT.MESSAGE_RECEIVED);
    const erinGot = record<Message[]>(erin, EVENT.MESSAGE_RECEIVED);

    const message = text(erin, 'frank', 'maybe lost');
    const id = message.ID;
    network.blocked = true;
    network.loseNextAck('sendMessage');
    const failure = await erin.sendMessage(message).then(() => undefined, (error: { code: number; data?: { message?: Message } }) => error);
    assert.ok(failure && (failure.code === 2800 || failure.code === 2801));
    assert.equal(failure.data?.message, message);
    assert.equal(message.status, 'fail');
    await eventually('frank got the stored original', () => frankGot.flat().length === 1);

    network.blocked = false;
    await eventually('the resync marks the message sent', () => message.status === 'success', 5000);
    assert.equal(message.ID, id);
    assert.equal(message.sequence, frankGot.flat()[0]!.sequence);
    assert.equal(erin.findMessage(id), message, 'one instance');
    await settle(300);
    assert.equal(erinGot.flat().length, 0, 'own message is not announced to the sender');
    assert.equal(frankGot.flat().length, 1);
    await assert.rejects(erin.resendMessage(message), { code: 2905 }, 'only failed messages can be resent');
  });

  test('a drop during the initial sync: what was sent meanwhile is announced once ready', async () => {
    const network = new Network();
    const nina = newChat(server, 'web', { webSocketFactory: network.factory });
    const mallory = newChat(server, 'web');
    chats.push(nina, mallory);
    await loginReady(mallory, 'mallory');
    const got = record<Message[]>(nina, EVENT.MESSAGE_RECEIVED);
    const states = record<{ state: string }>(nina, EVENT.NET_STATE_CHANGE);

    // The initial sync has its snapshot when the connection drops, and stays away for a while.
    network.loseNextAck('getGroupList', { thenBlock: true });
    const ready = waitForEvent(nina, EVENT.SDK_READY);
    await nina.login({ userID: 'nina', userSig: await userSigFor('nina') });
    await eventually('the connection drops mid-sync', () => states.some((event) => event.state === TYPES.NET_STATE_CONNECTING));
    const missed = text(mallory, 'nina', 'sent while nina was syncing');
    await mallory.sendMessage(missed);
    network.blocked = false;
    await ready;
    await eventually('the message is announced', () => got.flat().length === 1);
    assert.deepEqual(ids(got), [missed.ID]);
    await eventually('and counted', () => nina.getTotalUnreadMessageCount() === 1);
    const listed = (await nina.getConversationList(['C2Cmallory'])).data.conversationList;
    assert.equal(listed[0]?.unreadCount, 1);
    await settle(300);
    assert.equal(got.flat().length, 1, 'once');
  });

  test('a read mark that arrives after newer messages leaves those unread', async () => {
    const network = new Network();
    const oscar = newChat(server, 'web', { webSocketFactory: network.factory });
    const oscarPhone = newChat(server, 'android');
    const peggy = newChat(server, 'web');
    const quinn = newChat(server, 'web');
    chats.push(oscar, oscarPhone, peggy, quinn);
    await loginReady(oscar, 'oscar');
    await loginReady(oscarPhone, 'oscar');
    await loginReady(peggy, 'peggy');
    await loginReady(quinn, 'quinn');
    const got = record<Message[]>(oscar, EVENT.MESSAGE_RECEIVED);
    await quinn.sendMessage(text(quinn, 'oscar', 'elsewhere'));
    await peggy.sendMessage(text(peggy, 'oscar', 'one'));
    await eventually('two unread', () => oscar.getTotalUnreadMessageCount() === 2);

    // The phone reads "one"; the web instance gets that read mark only after "two" (here: it misses
    // the push and finds the change when the next one reveals the gap).
    network.dropNextPush((frame) => frame.push === 'change' && frame.data?.change?.kind === 'conversationRead');
    await oscarPhone.setMessageRead({ conversationID: 'C2Cpeggy' });
    await peggy.sendMessage(text(peggy, 'oscar', 'two'));
    await eventually('two arrives', () => got.flat().length === 3);
    await eventually('three unread', () => oscar.getTotalUnreadMessageCount() === 3);
    // The next change (the phone reads quinn's conversation) reveals the gap.
    const elsewhere = (await oscar.getConversationList(['C2Cquinn'])).data.conversationList[0]!;
    await oscarPhone.setMessageRead({ conversationID: 'C2Cquinn' });
    await eventually('the read marks are applied', () => elsewhere.unreadCount === 0);
    assert.equal(oscar.getTotalUnreadMessageCount(), 1, '"two" is still unread');
    const conversation = (await oscar.getConversationList(['C2Cpeggy'])).data.conversationList[0]!;
    assert.equal(conversation.unreadCount, 1);
    assert.equal((await oscar.getConversationProfile('C2Cpeggy')).data.conversation.unreadCount, 1, 'as the server counts');
  });

  test('a conversation met through getConversationProfile before its first push still announces that message', async () => {
    const network = new Network();
    const rupert = newChat(server, 'web', { webSocketFactory: network.factory });
    const sybil = newChat(server, 'web');
    chats.push(rupert, sybil);
    await loginReady(rupert, 'rupert');
    await loginReady(sybil, 'sybil');
    const got = record<Message[]>(rupert, EVENT.MESSAGE_RECEIVED);

    // The profile's answer is applied before the push of the conversation's first message (here:
    // the push is lost, so the profile is all the SDK learns from).
    const first = text(sybil, 'rupert', 'first');
    network.dropNextPush((frame) => frame.push === 'message' && frame.data?.ID === first.ID);
    await sybil.sendMessage(first);
    const { conversation } = (await rupert.getConversationProfile('C2Csybil')).data;
    assert.equal(conversation.unreadCount, 1);
    await eventually('the first message is announced', () => got.flat().length === 1);
    const second = text(sybil, 'rupert', 'second');
    await sybil.sendMessage(second);
    await eventually('then the second', () => got.flat().length === 2);
    assert.deepEqual(ids(got), [first.ID, second.ID]);
    assert.equal(rupert.getTotalUnreadMessageCount(), 2);
  });

  test('a message too big for one frame is refused locally with 80002 and the connection stays', async () => {
    const network = new Network();
    const judy = newChat(server, 'web', { webSocketFactory: network.factory });
    chats.push(judy);
    await loginReady(judy, 'judy');
    const huge = judy.createTextMessage({ to: 'kate', conversationType: TYPES.CONV_C2C, payload: { text: '字'.repeat(30_000) } });
    await assert.rejects(judy.sendMessage(huge), { code: 80002 });
    assert.equal(huge.status, 'fail');
    await settle(300);
    assert.equal(network.connections, 1);
    await judy.sendMessage(text(judy, 'kate', 'small is fine'));
  });

  test('a heartbeat without answer makes the SDK reconnect', async () => {
    const network = new Network();
    const grace = newChat(server, 'web', { webSocketFactory: network.factory, heartbeatIntervalMs: 200 });
    chats.push(grace);
    await loginReady(grace, 'grace');
    const states = record<{ state: string }>(grace, EVENT.NET_STATE_CHANGE);
    await settle(600);
    assert.equal(network.connections, 1, 'answered heartbeats keep the connection');
    assert.ok(network.sentOps.filter((op) => op === 'heartbeat').length >= 2);
    network.stallHeartbeats();
    await eventually('reconnecting', () => states.some((event) => event.state === TYPES.NET_STATE_CONNECTING), 5000);
    network.stallHeartbeats(false);
    await eventually('connected again', () => states.some((event) => event.state === TYPES.NET_STATE_CONNECTED) && network.connections >= 2, 5000);
    assert.ok(Math.abs(grace.getServerTime() - Date.now() / 1000) < 5);
  });

  test('a send waits for the reconnect; with no server in time it fails with NETWORK_ERROR', async () => {
    const network = new Network();
    const heidi = newChat(server, 'web', { webSocketFactory: network.factory, requestTimeoutMs: 1000 });
    chats.push(heidi);
    await loginReady(heidi, 'heidi');
    network.blocked = true;
    network.cut();
    const message = text(heidi, 'ivan', 'nobody home');
    await assert.rejects(heidi.sendMessage(message), { code: 2800 });
    assert.equal(message.status, 'fail');
    network.blocked = false;
    await eventually('reconnected', () => network.connections >= 2, 5000);
    await heidi.resendMessage(message);
    assert.equal(message.status, 'success');
  });
});

describe('server restarts', () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`after ${signal} and a restart on the same data, clients reconnect, pending sends complete and nothing is lost or doubled`, async () => {
      const alice = newChat(server, 'web');
      const bob = newChat(server, 'web');
      chats.push(alice, bob);
      await loginReady(alice, `alice-${signal}`);
      await loginReady(bob, `bob-${signal}`);
      const before = text(bob, `alice-${signal}`, 'before');
      const delivered = waitForEvent<Message[]>(alice, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => message.ID === before.ID));
      await bob.sendMessage(before);
      await delivered;
      const aliceGot = record<Message[]>(alice, EVENT.MESSAGE_RECEIVED);
      const aliceStates = record<{ state: string }>(alice, EVENT.NET_STATE_CHANGE);
      const bobStates = record<{ state: string }>(bob, EVENT.NET_STATE_CHANGE);

      await server.stop(signal);
      await eventually('both notice', () => aliceStates.length > 0 && bobStates.length > 0);
      const during = text(bob, `alice-${signal}`, 'sent while the server was down');
      const pending = bob.sendMessage(during);
      await settle(300);
      await server.restart();

      await pending;
      assert.equal(during.status, 'success');
      await eventually('alice gets it', () => aliceGot.flat().length === 1);
      assert.deepEqual(ids(aliceGot), [during.ID]);
      await eventually('both report connected', () =>
        aliceStates.some((event) => event.state === TYPES.NET_STATE_CONNECTED) && bobStates.some((event) => event.state === TYPES.NET_STATE_CONNECTED));
      const history = (await alice.getMessageList({ conversationID: `C2Cbob-${signal}` })).data.messageList;
      assert.deepEqual(history.map((message) => message.ID), [before.ID, during.ID], 'stored history survived');
      await eventually('unread is exact', () => alice.getTotalUnreadMessageCount() === 2);
      await settle(300);
      assert.equal(aliceGot.flat().length, 1);
    });
  }
});
