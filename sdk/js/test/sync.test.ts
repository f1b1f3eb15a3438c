/**
 * The one sync rule (`docs/protocol.md`, "Sync"): a new message is announced at once even past a
 * gap; a gap is fetched only once it is a second old, with one request per conversation; a gap a
 * late push closes costs no request; change-stream entries wait for the ones before them. And a
 * push updates a conversation the session has not loaded without a round trip (counted indexes),
 * with the sender's nick and avatar on the message.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, settle, textOf, waitForEvent } from './support/clients.js';
import { Network } from './support/network.js';
import { type TestServer, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

type Frame = { push: string; data: any };

function text(chat: ChatSDK, to: string, body: string, conversationType: string = TYPES.CONV_C2C): Message {
  return chat.createTextMessage({ to, conversationType, payload: { text: body } });
}

const messagePush = (message: Message) => (frame: Frame) => frame.push === 'message' && frame.data?.ID === message.ID;

describe('one sync rule', () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  test('pushes past a lost one are announced at once; the gap costs one getMessageList per conversation, after its second', async () => {
    const network = new Network();
    const alice = newChat(server, 'web', { webSocketFactory: network.factory });
    const bob = newChat(server, 'web');
    const carol = newChat(server, 'web');
    chats.push(alice, bob, carol);
    await loginReady(alice, 'alice-gap');
    await loginReady(bob, 'bob-gap');
    await loginReady(carol, 'carol-gap');
    const { data } = await bob.createGroup({ name: 'gaps', type: TYPES.GRP_MEETING, memberList: [{ userID: 'alice-gap' }, { userID: 'carol-gap' }] });
    const groupID = data.group.groupID;
    await bob.sendMessage(text(bob, 'alice-gap', 'known'));
    await bob.sendMessage(text(bob, groupID, 'known', TYPES.CONV_GROUP));
    await eventually('both conversations are listed', () => alice.getTotalUnreadMessageCount() === 2);
    const received = record<Message[]>(alice, EVENT.MESSAGE_RECEIVED);
    let gapSeenAtMs = 0;
    alice.on(EVENT.MESSAGE_RECEIVED, () => {
      gapSeenAtMs ||= Date.now();
    });
    const fetchesBefore = network.countOps('getMessageList');
    const requestsBefore = network.sentAt.length;

    const lostC2C = text(bob, 'alice-gap', 'lost');
    const lostGroup = text(carol, groupID, 'lost', TYPES.CONV_GROUP);
    network.dropNextPush(messagePush(lostC2C));
    network.dropNextPush(messagePush(lostGroup));
    const sent = [lostC2C, lostGroup];
    await bob.sendMessage(lostC2C);
    await carol.sendMessage(lostGroup);
    for (let index = 0; index < 20; index += 1) {
      const c2c = text(bob, 'alice-gap', `after ${index}`);
      const group = text(index % 2 === 0 ? bob : carol, groupID, `after ${index}`, TYPES.CONV_GROUP);
      await bob.sendMessage(c2c);
      await (index % 2 === 0 ? bob : carol).sendMessage(group);
      sent.push(c2c, group);
    }
    await eventually('every message is announced', () => received.flat().length === 42);
    const firstFetch = network.sentAt.slice(requestsBefore).find((sent) => sent.op === 'getMessageList');
    assert.ok(firstFetch, 'the lost messages were fetched');
    // The first push past the gaps was announced at once; the fetch waited for the gap's second.
    assert.ok(firstFetch.atMs - gapSeenAtMs >= 900, `fetched ${firstFetch.atMs - gapSeenAtMs} ms after the gap opened`);
    await settle(1200);
    const ids = received.flat().map((message) => message.ID);
    assert.deepEqual([...ids].sort(), sent.map((message) => message.ID).sort(), 'every message once');
    assert.equal(network.countOps('getMessageList') - fetchesBefore, 2, 'one fetch per conversation');
    assert.equal(alice.getTotalUnreadMessageCount(), 44);
  });

  test('a gap a late push closes costs no request', async () => {
    const network = new Network();
    const dora = newChat(server, 'web', { webSocketFactory: network.factory });
    const ed = newChat(server, 'web');
    chats.push(dora, ed);
    await loginReady(dora, 'dora-gap');
    await loginReady(ed, 'ed-gap');
    await ed.sendMessage(text(ed, 'dora-gap', 'known'));
    await eventually('listed', () => dora.getTotalUnreadMessageCount() === 1);
    const received = record<Message[]>(dora, EVENT.MESSAGE_RECEIVED);
    const requestsBefore = network.sentOps.length;

    const late = text(ed, 'dora-gap', 'late');
    const release = network.holdNextPush(messagePush(late));
    await ed.sendMessage(late);
    await ed.sendMessage(text(ed, 'dora-gap', 'one'));
    await eventually('the overtaking push is announced at once', () => received.flat().length === 1);
    release();
    await eventually('the late one closes the gap', () => received.flat().length === 2);
    await ed.sendMessage(text(ed, 'dora-gap', 'two'));
    await eventually('and the next follows', () => received.flat().length === 3);
    assert.deepEqual(received.flat().map(textOf), ['one', 'late', 'two']);
    await settle(1300);
    assert.deepEqual(network.sentOps.slice(requestsBefore).filter((op) => op !== 'heartbeat'), [], 'no request at all');
    assert.equal(dora.getTotalUnreadMessageCount(), 4);
    assert.equal(received.flat().length, 3, 'nothing twice');
  });

  test('a change behind a missing one waits for it; a late change costs no sync', async () => {
    const network = new Network();
    const fay = newChat(server, 'web', { webSocketFactory: network.factory });
    const fayPhone = newChat(server, 'android');
    const gus = newChat(server, 'web');
    const hal = newChat(server, 'web');
    chats.push(fay, fayPhone, gus, hal);
    await loginReady(fay, 'fay-gap');
    await loginReady(fayPhone, 'fay-gap');
    await loginReady(gus, 'gus-gap');
    await loginReady(hal, 'hal-gap');
    await gus.sendMessage(text(gus, 'fay-gap', 'from gus'));
    await hal.sendMessage(text(hal, 'fay-gap', 'from hal'));
    await eventually('two unread', () => fay.getTotalUnreadMessageCount() === 2);
    const syncsBefore = network.countOps('sync');

    const release = network.holdNextPush((frame) => frame.push === 'change' && frame.data?.change?.conversationID === 'C2Cgus-gap');
    await fayPhone.setMessageRead({ conversationID: 'C2Cgus-gap' });
    await fayPhone.setMessageRead({ conversationID: 'C2Chal-gap' });
    // The read of hal's conversation is held behind the missing read of gus's (changes apply in order).
    const halRead = (frame: Frame) => frame.push === 'change' && frame.data?.change?.conversationID === 'C2Chal-gap';
    await eventually("hal's read reached fay's socket", () => network.pushes.some(halRead));
    await settle(50);
    assert.equal(fay.getTotalUnreadMessageCount(), 2, 'the later change waits');
    release();
    await eventually('both reads applied', () => fay.getTotalUnreadMessageCount() === 0);
    await settle(1200);
    assert.equal(network.countOps('sync'), syncsBefore, 'no sync request');
  });

  test('a lost change is fetched with one sync after the gap timer', async () => {
    const network = new Network();
    const ida = newChat(server, 'web', { webSocketFactory: network.factory });
    const idaPhone = newChat(server, 'android');
    const jon = newChat(server, 'web');
    const kim = newChat(server, 'web');
    chats.push(ida, idaPhone, jon, kim);
    await loginReady(ida, 'ida-gap');
    await loginReady(idaPhone, 'ida-gap');
    await loginReady(jon, 'jon-gap');
    await loginReady(kim, 'kim-gap');
    await jon.sendMessage(text(jon, 'ida-gap', 'from jon'));
    await kim.sendMessage(text(kim, 'ida-gap', 'from kim'));
    await eventually('two unread', () => ida.getTotalUnreadMessageCount() === 2);
    const syncsBefore = network.countOps('sync');

    network.dropNextPush((frame) => frame.push === 'change' && frame.data?.change?.conversationID === 'C2Cjon-gap');
    await idaPhone.setMessageRead({ conversationID: 'C2Cjon-gap' });
    await idaPhone.setMessageRead({ conversationID: 'C2Ckim-gap' });
    await eventually('both reads applied', () => ida.getTotalUnreadMessageCount() === 0);
    assert.equal(network.countOps('sync') - syncsBefore, 1, 'one sync');
  });
});

describe('pushes update conversations without round trips', () => {
  let server: TestServer;
  const chats: ChatSDK[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await destroyAll(...chats);
    await server.dispose();
  });

  test('a new C2C conversation is listed from its pushes: unread, lastMessage, names, no request', async () => {
    const network = new Network();
    const lea = newChat(server, 'web', { webSocketFactory: network.factory });
    const max = newChat(server, 'web');
    chats.push(lea, max);
    await loginReady(lea, 'lea-push');
    await loginReady(max, 'max-push');
    await max.updateMyProfile({ nick: 'Maxi', avatar: 'https://example.com/max.png' });
    const received = record<Message[]>(lea, EVENT.MESSAGE_RECEIVED);
    const requestsBefore = network.sentOps.length;

    for (const body of ['one', 'two', 'three']) await max.sendMessage(text(max, 'lea-push', body));
    await eventually('three announced', () => received.flat().length === 3);
    const [first] = received.flat();
    assert.equal(first!.nick, 'Maxi');
    assert.equal(first!.avatar, 'https://example.com/max.png');
    assert.equal(first!.nameCard, '');
    const conversation = (await lea.getConversationList(['C2Cmax-push'])).data.conversationList[0]!;
    assert.equal(conversation.unreadCount, 3);
    assert.equal(conversation.lastMessage.messageForShow, 'three');
    assert.equal(conversation.lastMessage.nick, 'Maxi');
    assert.equal(conversation.userProfile?.userID, 'max-push');
    assert.equal(conversation.userProfile?.nick, 'Maxi');
    assert.equal(conversation.userProfile?.avatar, 'https://example.com/max.png');
    assert.deepEqual(network.sentOps.slice(requestsBefore).filter((op) => op !== 'heartbeat'), [], 'no request');

    // A message from lea's other device reads the conversation up to it.
    const leaPhone = newChat(server, 'android');
    chats.push(leaPhone);
    await loginReady(leaPhone, 'lea-push');
    await leaPhone.sendMessage(text(leaPhone, 'max-push', 'seen'));
    await eventually('read by the own message', () => lea.getTotalUnreadMessageCount() === 0);
    assert.deepEqual(network.sentOps.slice(requestsBefore).filter((op) => op !== 'heartbeat'), [], 'still no request');
  });

  test('the peer profile comes with the conversation list', async () => {
    const nia = newChat(server, 'web');
    const oli = newChat(server, 'web');
    chats.push(nia, oli);
    await loginReady(oli, 'oli-push');
    await oli.updateMyProfile({ nick: 'Olive', avatar: 'https://example.com/oli.png' });
    await oli.sendMessage(text(oli, 'nia-push', 'hello'));
    await loginReady(nia, 'nia-push');
    const conversation = (await nia.getConversationList()).data.conversationList.find((entry) => entry.conversationID === 'C2Coli-push');
    assert.equal(conversation?.userProfile?.nick, 'Olive');
    assert.equal(conversation?.userProfile?.avatar, 'https://example.com/oli.png');
    assert.equal(conversation?.lastMessage.nick, 'Olive');
  });

  test('a group joined later: its first push lists it with only what came after the join unread, no request', async () => {
    const network = new Network();
    const pia = newChat(server, 'web', { webSocketFactory: network.factory });
    const quy = newChat(server, 'web');
    chats.push(pia, quy);
    await loginReady(pia, 'pia-push');
    await loginReady(quy, 'quy-push');
    const { data } = await quy.createGroup({ name: 'later', type: TYPES.GRP_MEETING });
    const groupID = data.group.groupID;
    for (const body of ['history 1', 'history 2']) await quy.sendMessage(text(quy, groupID, body, TYPES.CONV_GROUP));
    const joined = waitForEvent(pia, EVENT.GROUP_LIST_UPDATED, (list: any[]) => list.some((group) => group.groupID === groupID));
    await pia.joinGroup({ groupID });
    await joined;
    const received = record<Message[]>(pia, EVENT.MESSAGE_RECEIVED);
    const requestsBefore = network.sentOps.length;

    await quy.sendMessage(text(quy, groupID, 'after the join', TYPES.CONV_GROUP));
    await eventually('announced', () => received.flat().length === 1);
    const conversation = (await pia.getConversationList([`GROUP${groupID}`])).data.conversationList[0]!;
    assert.equal(conversation.unreadCount, 1);
    assert.equal(conversation.lastMessage.messageForShow, 'after the join');
    assert.deepEqual(network.sentOps.slice(requestsBefore).filter((op) => op !== 'heartbeat'), [], 'no request');
  });
});
