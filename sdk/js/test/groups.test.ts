/**
 * Groups: create, join, quit, the group list and its events, group profiles, group messages with
 * @ mentions and group unread counts, and the codes of refused group operations.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Group, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, waitForEvent } from './support/clients.js';
import { type TestServer, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

describe('groups', () => {
  let server: TestServer;
  let alice: ChatSDK;
  let bob: ChatSDK;
  let carol: ChatSDK;
  let groupID = '';

  before(async () => {
    server = await startServer();
    alice = newChat(server);
    bob = newChat(server);
    carol = newChat(server);
    await loginReady(alice, 'alice');
    await loginReady(bob, 'bob');
    await loginReady(carol, 'carol');
  });

  after(async () => {
    await destroyAll(alice, bob, carol);
    await server.dispose();
  });

  test('createGroup resolves {group}; members see GROUP_LIST_UPDATED', async () => {
    const bobSees = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => list.some((group) => group.name === 'lunch'));
    const aliceSees = waitForEvent<Group[]>(alice, EVENT.GROUP_LIST_UPDATED, (list) => list.some((group) => group.name === 'lunch'));
    const { code, data } = await alice.createGroup({ name: 'lunch', type: TYPES.GRP_MEETING, memberList: [{ userID: 'bob' }], introduction: 'noon' });
    assert.equal(code, 0);
    assert.deepEqual(data.overLimitUserIDList, []);
    const group = data.group;
    groupID = group.groupID;
    assert.ok(groupID.length > 0);
    assert.equal(group.name, 'lunch');
    assert.equal(group.type, TYPES.GRP_MEETING);
    assert.equal(group.ownerID, 'alice');
    assert.equal(group.introduction, 'noon');
    assert.equal(group.memberCount, 2);
    assert.equal(group.selfInfo.role, TYPES.GRP_MBR_ROLE_OWNER);
    assert.equal(group.joinOption, TYPES.JOIN_OPTIONS_FREE_ACCESS);
    assert.ok(group.createTime > 0);
    await aliceSees;
    const bobList = await bobSees;
    assert.equal(bobList.find((candidate) => candidate.groupID === groupID)?.selfInfo.role, TYPES.GRP_MBR_ROLE_MEMBER);
    const listed = (await bob.getGroupList()).data.groupList;
    assert.ok(listed.some((candidate) => candidate.groupID === groupID));
  });

  test('joinGroup: success, then already in group', async () => {
    const carolSees = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => list.some((group) => group.groupID === groupID));
    const joined = await carol.joinGroup({ groupID });
    assert.equal(joined.data.status, TYPES.JOIN_STATUS_SUCCESS);
    assert.equal(joined.data.group.groupID, groupID);
    await carolSees;
    const again = await carol.joinGroup({ groupID });
    assert.equal(again.data.status, TYPES.JOIN_STATUS_ALREADY_IN_GROUP);
    const profile = (await alice.getGroupProfile({ groupID })).data.group;
    assert.equal(profile.memberCount, 3);
  });

  test('group messages and @ messages reach members, count as unread and fill groupProfile', async () => {
    const bobGot = record<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const carolGot = record<Message[]>(carol, EVENT.MESSAGE_RECEIVED);
    const hello = alice.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'hello all' } });
    await alice.sendMessage(hello);
    const mention = alice.createTextAtMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: '@bob hi', atUserList: ['bob'] } });
    assert.deepEqual(mention.atUserList, ['bob']);
    await alice.sendMessage(mention);
    await eventually('both members get both', () => bobGot.flat().length === 2 && carolGot.flat().length === 2);
    const first = bobGot.flat()[0]!;
    assert.equal(first.ID, hello.ID);
    assert.equal(first.conversationType, TYPES.CONV_GROUP);
    assert.equal(first.conversationID, `GROUP${groupID}`);
    assert.equal(first.to, groupID);
    assert.equal(first.from, 'alice');
    assert.equal(bobGot.flat()[1]!.payload.text, '@bob hi');
    await eventually('2 unread for bob', () => bob.getTotalUnreadMessageCount() === 2);
    const conversation = (await bob.getConversationList({ type: TYPES.CONV_GROUP })).data.conversationList[0];
    assert.equal(conversation?.conversationID, `GROUP${groupID}`);
    assert.equal(conversation?.groupProfile?.groupID, groupID);
    assert.equal(conversation?.groupProfile?.name, 'lunch');
    assert.equal(conversation?.lastMessage.messageForShow, '@bob hi');
    assert.equal((await alice.getConversationList({ hasUnreadCount: true })).data.conversationList.length, 0);
    await bob.setMessageRead({ conversationID: `GROUP${groupID}` });
    assert.equal(bob.getTotalUnreadMessageCount(), 0);
  });

  test('a member who joins later is announced what comes after the join, not the group history', async () => {
    const dave = newChat(server);
    await loginReady(dave, 'dave');
    try {
      const { data } = await alice.createGroup({ name: 'with history', type: TYPES.GRP_MEETING, memberList: [{ userID: 'bob' }] });
      const historyGroup = data.group.groupID;
      for (const body of ['old 1', 'old 2']) {
        await alice.sendMessage(alice.createTextMessage({ to: historyGroup, conversationType: TYPES.CONV_GROUP, payload: { text: body } }));
      }
      // The join time has second precision: a message of the join's second counts as new.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const daveGot = record<Message[]>(dave, EVENT.MESSAGE_RECEIVED);
      await dave.joinGroup({ groupID: historyGroup });
      const fresh = alice.createTextMessage({ to: historyGroup, conversationType: TYPES.CONV_GROUP, payload: { text: 'after the join' } });
      await alice.sendMessage(fresh);
      await eventually('dave gets the new message', () => daveGot.flat().length > 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(daveGot.flat().map((message) => message.ID), [fresh.ID], 'not the history');
      const listed = (await dave.getConversationList([`GROUP${historyGroup}`])).data.conversationList[0]!;
      assert.equal(listed.lastMessage.lastSequence, 3);
      const server = (await dave.getConversationProfile(`GROUP${historyGroup}`)).data.conversation;
      assert.equal(listed.unreadCount, server.unreadCount, 'the server\'s unread count');
    } finally {
      await destroyAll(dave);
    }
  });

  test('quitGroup resolves {groupID} and removes the group from the list', async () => {
    const carolSees = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => !list.some((group) => group.groupID === groupID));
    const { data } = await carol.quitGroup(groupID);
    assert.deepEqual(data, { groupID });
    await carolSees;
    assert.ok(!(await carol.getGroupList()).data.groupList.some((group) => group.groupID === groupID));
    const profile = (await alice.getGroupProfile({ groupID })).data.group;
    assert.equal(profile.memberCount, 2);
  });

  test('refused group operations: client codes and server codes', async () => {
    await assert.rejects(carol.quitGroup(groupID), { code: 10007 }, 'not a member (server code)');
    await assert.rejects(carol.getGroupProfile({ groupID: 'no-such-group' }), { code: 10010 });
    await assert.rejects(carol.joinGroup({ groupID: '' }), { code: 2602 });
    await assert.rejects(alice.createGroup({ name: 'x', type: 'Nonsense' }), { code: 2600 });
    await assert.rejects(alice.quitGroup(groupID), { code: 10009 }, 'the owner cannot quit a meeting group');
    const work = await alice.createGroup({ name: 'private work' });
    assert.equal(work.data.group.type, TYPES.GRP_WORK, 'GRP_WORK is the default type');
    await assert.rejects(carol.joinGroup({ groupID: work.data.group.groupID }), { code: 10007 }, 'work groups take no applications');
    const outsider = carol.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'let me in' } });
    await assert.rejects(carol.sendMessage(outsider), { code: 10007 });
  });

  test('a targeted message (receiverList) is refused with 2905, never sent to the whole group', async () => {
    const bobGot = record<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const secret = alice.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'for bob only' }, receiverList: ['bob'] });
    await assert.rejects(alice.sendMessage(secret), { code: 2905 });
    assert.equal(secret.status, 'unSend', 'it never left');
    assert.throws(
      () => alice.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'x' }, receiverList: 'bob' as unknown as string[] }),
      { code: 2905 },
    );
    // The next message reaches bob and is the first he gets: the refused one was never sent.
    const open = alice.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'for everyone' }, receiverList: [] });
    await alice.sendMessage(open);
    await eventually('bob gets the open message', () => bobGot.flat().some((message) => message.ID === open.ID));
    assert.ok(!bobGot.flat().some((message) => message.ID === secret.ID));
    const history = await bob.getMessageList({ conversationID: `GROUP${groupID}` });
    assert.ok(!history.data.messageList.some((message) => message.ID === secret.ID), 'not stored');
  });

  test('join options: a public group with the documented defaults is joinable; approvals are refused', async () => {
    const open = (await alice.createGroup({ name: 'open', type: TYPES.GRP_PUBLIC })).data.group;
    assert.equal(open.joinOption, TYPES.JOIN_OPTIONS_FREE_ACCESS, 'createGroup\'s documented default');
    assert.equal((await carol.joinGroup({ groupID: open.groupID })).data.status, TYPES.JOIN_STATUS_SUCCESS);
    const approval = (await alice.createGroup({ name: 'approval', type: TYPES.GRP_PUBLIC, joinOption: TYPES.JOIN_OPTIONS_NEED_PERMISSION })).data.group;
    assert.equal(approval.joinOption, TYPES.JOIN_OPTIONS_NEED_PERMISSION);
    await assert.rejects(carol.joinGroup({ groupID: approval.groupID }), { code: 10007 }, 'approvals are not served yet');
    await assert.rejects(alice.createGroup({ name: 'w', type: TYPES.GRP_WORK, joinOption: TYPES.JOIN_OPTIONS_FREE_ACCESS }), { code: 10004 });
    await assert.rejects(alice.createGroup({ name: 'm', type: TYPES.GRP_MEETING, joinOption: TYPES.JOIN_OPTIONS_NEED_PERMISSION }), { code: 10004 });
  });

  test('quitGroup: a work group\'s owner may quit, leaving it without an owner', async () => {
    const work = (await alice.createGroup({ name: 'ownerless', type: TYPES.GRP_WORK, memberList: [{ userID: 'bob' }] })).data.group;
    assert.deepEqual((await alice.quitGroup(work.groupID)).data, { groupID: work.groupID });
    const seen = (await bob.getGroupProfile({ groupID: work.groupID })).data.group;
    assert.equal(seen.ownerID, '');
    assert.equal(seen.memberCount, 1);
  });
});
