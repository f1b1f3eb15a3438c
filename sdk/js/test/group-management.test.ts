/**
 * Group management through the official API: `dismissGroup`, `getGroupMemberList`,
 * `getGroupMemberProfile`, `addGroupMember` and `deleteGroupMember`, with who may do what per
 * group type and role and the documented codes. Served by the real server only.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Group, type Message } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, waitForEvent } from './support/clients.js';
import { type TestServer, serverKind, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;
const skip = serverKind() === 'fake' ? 'the TypeScript stand-in does not manage groups' : false;

describe('group management', () => {
  let server: TestServer;
  let alice: ChatSDK;
  let bob: ChatSDK;
  let carol: ChatSDK;

  before(async () => {
    if (skip) return;
    server = await startServer();
    alice = newChat(server);
    bob = newChat(server);
    carol = newChat(server);
    await loginReady(alice, 'alice');
    await loginReady(bob, 'bob');
    await loginReady(carol, 'carol');
  });

  after(async () => {
    if (skip) return;
    await destroyAll(alice, bob, carol);
    await server.dispose();
  });

  test('dismissGroup: the owner only, never a work group; members get the notice and lose the group', { skip }, async () => {
    const bobHas = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === 'short-lived'));
    const { group } = (await alice.createGroup({ groupID: 'short-lived', name: 'short-lived', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob' }] })).data;
    await bobHas;
    await assert.rejects(bob.dismissGroup(group.groupID), { code: 10007 }, 'a member');
    const notices = record<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const bobLoses = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => !list.some((candidate) => candidate.groupID === group.groupID));
    assert.deepEqual((await alice.dismissGroup(group.groupID)).data, { groupID: group.groupID });
    await bobLoses;
    await eventually('bob gets the dismissal notice', () =>
      notices.flat().some((message) => message.type === TYPES.MSG_GRP_SYS_NOTICE && message.payload.operationType === 5),
    );
    assert.ok(!(await alice.getGroupList()).data.groupList.some((candidate) => candidate.groupID === group.groupID));
    await assert.rejects(bob.getGroupProfile({ groupID: group.groupID }), { code: 10010 });

    const work = (await alice.createGroup({ name: 'work', type: TYPES.GRP_WORK })).data.group;
    await assert.rejects(alice.dismissGroup(work.groupID), { code: 10007 }, 'the owner cannot dismiss a work group');
    await assert.rejects(alice.dismissGroup(''), { code: 2602 });
  });

  test('getGroupMemberList pages with count and offset, filters by role; getGroupMemberProfile', { skip }, async () => {
    const members = [{ userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN }, { userID: 'carol' }];
    const { group } = (await alice.createGroup({ name: 'members', type: TYPES.GRP_PUBLIC, memberList: members })).data;
    const first = (await carol.getGroupMemberList({ groupID: group.groupID, count: 2, offset: 0 })).data;
    assert.deepEqual(first.memberList.map((member) => member.userID), ['alice', 'bob']);
    assert.equal(first.offset, 2);
    assert.equal(first.memberList[0]!.role, TYPES.GRP_MBR_ROLE_OWNER);
    assert.ok(first.memberList[0]!.joinTime > 0);
    assert.equal(first.memberList[0]!.muteUntil, 0);
    const rest = (await carol.getGroupMemberList({ groupID: group.groupID, count: 2, offset: first.offset })).data;
    assert.deepEqual(rest.memberList.map((member) => member.userID), ['carol']);
    assert.equal(rest.offset, 0, 'offset 0: complete');
    const admins = (await carol.getGroupMemberList({ groupID: group.groupID, role: TYPES.GRP_MBR_ROLE_ADMIN })).data;
    assert.deepEqual(admins.memberList.map((member) => member.userID), ['bob']);

    await alice.updateMyProfile({ nick: 'Alice A.' });
    const profiles = (await carol.getGroupMemberProfile({ groupID: group.groupID, userIDList: ['alice', 'stranger'] })).data;
    assert.deepEqual(profiles.memberList.map((member) => [member.userID, member.nick, member.nameCard]), [['alice', 'Alice A.', '']]);

    await assert.rejects(carol.getGroupMemberList({ groupID: group.groupID, role: 'Boss' }), { code: 2905 });
    await assert.rejects(carol.getGroupMemberProfile({ groupID: group.groupID, userIDList: [] }), { code: 2905 });
    const work = (await alice.createGroup({ name: 'hidden', type: TYPES.GRP_WORK })).data.group;
    await assert.rejects(carol.getGroupMemberList({ groupID: work.groupID }), { code: 10007 }, 'members only');
  });

  test('addGroupMember: any member of a work group, owner and admins elsewhere; unknown users are 10019', { skip }, async () => {
    const work = (await alice.createGroup({ name: 'team', type: TYPES.GRP_WORK, memberList: [{ userID: 'bob' }] })).data.group;
    const carolSees = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === work.groupID));
    await assert.rejects(bob.addGroupMember({ groupID: work.groupID, userIDList: ['carol', 'no-such-user'] }), { code: 10019 });
    const added = (await bob.addGroupMember({ groupID: work.groupID, userIDList: ['carol', 'alice'] })).data;
    assert.deepEqual(added.successUserIDList, ['carol']);
    assert.deepEqual(added.existedUserIDList, ['alice']);
    assert.deepEqual(added.failureUserIDList, []);
    assert.equal(added.group.memberCount, 3);
    await carolSees;

    const open = (await alice.createGroup({ name: 'public', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob' }] })).data.group;
    await assert.rejects(bob.addGroupMember({ groupID: open.groupID, userIDList: ['carol'] }), { code: 10007 }, 'members may not invite by default');
    assert.deepEqual((await alice.addGroupMember({ groupID: open.groupID, userIDList: ['carol'] })).data.successUserIDList, ['carol']);
  });

  test('deleteGroupMember: the owner removes; the removed member gets a kick notice with the reason', { skip }, async () => {
    const carolHas = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === 'strict'));
    const { group } = (await alice.createGroup({ groupID: 'strict', name: 'strict', type: TYPES.GRP_MEETING, memberList: [{ userID: 'bob' }, { userID: 'carol' }] })).data;
    await carolHas;
    await assert.rejects(bob.deleteGroupMember({ groupID: group.groupID, userIDList: ['carol'] }), { code: 10007 }, 'a member');
    await assert.rejects(bob.deleteGroupMember({ groupID: group.groupID, userIDList: ['alice'] }), { code: 10004 }, 'the owner');
    const notices = record<Message[]>(carol, EVENT.MESSAGE_RECEIVED);
    const carolLoses = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => !list.some((candidate) => candidate.groupID === group.groupID));
    const removed = (await alice.deleteGroupMember({ groupID: group.groupID, userIDList: ['carol'], reason: 'too loud' })).data;
    assert.deepEqual(removed.userIDList, ['carol']);
    assert.equal(removed.group.memberCount, 2);
    await carolLoses;
    await eventually('carol gets the kick notice', () =>
      notices.flat().some((message) => message.payload.operationType === 4 && message.payload.userDefinedField === 'too loud'),
    );
  });

  test('updateGroupProfile: members see the new profile (GROUP_LIST_UPDATED, getGroupProfile); roles and types are checked', { skip }, async () => {
    const open = (await alice.createGroup({ groupID: 'editable', name: 'before', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN }, { userID: 'carol' }] })).data.group;
    const carolSees = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === open.groupID && candidate.name === 'after'));
    const { group } = (await bob.updateGroupProfile({ groupID: open.groupID, name: 'after', notification: 'be kind' })).data;
    assert.equal(group.name, 'after');
    assert.equal(group.notification, 'be kind');
    const carolList = await carolSees;
    assert.equal(carolList.find((candidate) => candidate.groupID === open.groupID)!.notification, 'be kind');
    assert.equal((await carol.getGroupProfile({ groupID: open.groupID })).data.group.name, 'after');

    await assert.rejects(carol.updateGroupProfile({ groupID: open.groupID, name: 'mine' }), { code: 10007 }, 'an ordinary member of a public group');
    await assert.rejects(alice.updateGroupProfile({ groupID: open.groupID, name: 'x'.repeat(101) }), { code: 10004 });
    await assert.rejects(alice.updateGroupProfile({ groupID: open.groupID, muteAllMembers: true }), { code: 2905 }, 'not served: refused, not ignored');
    const closed = (await alice.updateGroupProfile({ groupID: open.groupID, joinOption: TYPES.JOIN_OPTIONS_NEED_PERMISSION })).data.group;
    assert.equal(closed.joinOption, TYPES.JOIN_OPTIONS_NEED_PERMISSION);
    const meeting = (await alice.createGroup({ name: 'meeting', type: TYPES.GRP_MEETING })).data.group;
    await assert.rejects(alice.updateGroupProfile({ groupID: meeting.groupID, joinOption: TYPES.JOIN_OPTIONS_DISABLE_APPLY }), { code: 10004 }, 'fixed for meeting groups');
  });

  test('setGroupMemberRole: the owner promotes; work groups answer 2682', { skip }, async () => {
    const open = (await alice.createGroup({ name: 'roles', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob' }, { userID: 'carol' }] })).data.group;
    const bobSees = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === open.groupID && candidate.selfInfo.role === TYPES.GRP_MBR_ROLE_ADMIN));
    const { member } = (await alice.setGroupMemberRole({ groupID: open.groupID, userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN })).data;
    assert.equal(member.userID, 'bob');
    assert.equal(member.role, TYPES.GRP_MBR_ROLE_ADMIN);
    await bobSees;
    await assert.rejects(bob.setGroupMemberRole({ groupID: open.groupID, userID: 'carol', role: TYPES.GRP_MBR_ROLE_ADMIN }), { code: 10007 }, 'only the owner');
    await assert.rejects(alice.setGroupMemberRole({ groupID: open.groupID, userID: 'bob', role: TYPES.GRP_MBR_ROLE_OWNER }), { code: 2905 });
    const work = (await alice.createGroup({ name: 'flat', type: TYPES.GRP_WORK, memberList: [{ userID: 'bob' }] })).data.group;
    await assert.rejects(alice.setGroupMemberRole({ groupID: work.groupID, userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN }), { code: 2682 });
  });

  test('changeGroupOwner: the owner hands over; everyone sees the new ownerID', { skip }, async () => {
    const open = (await alice.createGroup({ name: 'handover', type: TYPES.GRP_MEETING, memberList: [{ userID: 'bob' }, { userID: 'carol' }] })).data.group;
    await assert.rejects(bob.changeGroupOwner({ groupID: open.groupID, newOwnerID: 'carol' }), { code: 10007 });
    await assert.rejects(alice.changeGroupOwner({ groupID: open.groupID, newOwnerID: 'stranger' }), { code: 10004 });
    const carolSees = waitForEvent<Group[]>(carol, EVENT.GROUP_LIST_UPDATED, (list) => list.some((candidate) => candidate.groupID === open.groupID && candidate.ownerID === 'bob'));
    const { group } = (await alice.changeGroupOwner({ groupID: open.groupID, newOwnerID: 'bob' })).data;
    assert.equal(group.ownerID, 'bob');
    assert.equal(group.selfInfo.role, TYPES.GRP_MBR_ROLE_MEMBER);
    await carolSees;
    assert.equal((await bob.getGroupProfile({ groupID: open.groupID })).data.group.selfInfo.role, TYPES.GRP_MBR_ROLE_OWNER);
  });

  test('setGroupMemberMuteTime: a muted member\'s send fails with 10017 until unmuted; work groups have no muting', { skip }, async () => {
    const open = (await alice.createGroup({ name: 'quiet', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob' }, { userID: 'carol' }] })).data.group;
    const { member } = (await alice.setGroupMemberMuteTime({ groupID: open.groupID, userID: 'carol', muteTime: 600 })).data;
    assert.ok(member.muteUntil * 1000 > Date.now(), 'the documented check: muteUntil * 1000 > Date.now()');
    const listed = (await bob.getGroupMemberList({ groupID: open.groupID })).data.memberList;
    assert.equal(listed.find((candidate) => candidate.userID === 'carol')!.muteUntil, member.muteUntil);
    const hushed = carol.createTextMessage({ to: open.groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'hello?' } });
    await assert.rejects(carol.sendMessage(hushed), { code: 10017 });
    assert.equal(hushed.status, 'fail');
    await assert.rejects(bob.setGroupMemberMuteTime({ groupID: open.groupID, userID: 'carol', muteTime: 0 }), { code: 10007 }, 'an ordinary member');
    assert.equal((await alice.setGroupMemberMuteTime({ groupID: open.groupID, userID: 'carol', muteTime: 0 })).data.member.muteUntil, 0);
    await carol.sendMessage(carol.createTextMessage({ to: open.groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'free again' } }));
    await assert.rejects(alice.setGroupMemberMuteTime({ groupID: open.groupID, userID: 'carol', muteTime: -1 }), { code: 2905 });
    const work = (await alice.createGroup({ name: 'no mutes', type: TYPES.GRP_WORK, memberList: [{ userID: 'bob' }] })).data.group;
    await assert.rejects(alice.setGroupMemberMuteTime({ groupID: work.groupID, userID: 'bob', muteTime: 60 }), { code: 10035 });
  });

  test('setGroupMemberNameCard: one\'s own by default; messages sent afterwards carry it; roles are checked', { skip }, async () => {
    const open = (await alice.createGroup({ name: 'cards', type: TYPES.GRP_PUBLIC, memberList: [{ userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN }, { userID: 'carol' }] })).data.group;
    const { member, group } = (await carol.setGroupMemberNameCard({ groupID: open.groupID, nameCard: 'Caz' })).data;
    assert.deepEqual([member.userID, member.nameCard], ['carol', 'Caz']);
    assert.equal(group.selfInfo.nameCard, 'Caz');
    const aliceGot = record<Message[]>(alice, EVENT.MESSAGE_RECEIVED);
    const sent = carol.createTextMessage({ to: open.groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'signed' } });
    await carol.sendMessage(sent);
    assert.equal(sent.nameCard, 'Caz');
    await eventually('alice gets the signed message', () => aliceGot.flat().some((message) => message.ID === sent.ID));
    assert.equal(aliceGot.flat().find((message) => message.ID === sent.ID)!.nameCard, 'Caz');
    assert.equal((await alice.getGroupMemberProfile({ groupID: open.groupID, userIDList: ['carol'] })).data.memberList[0]!.nameCard, 'Caz');

    assert.equal((await bob.setGroupMemberNameCard({ groupID: open.groupID, userID: 'carol', nameCard: 'C' })).data.member.nameCard, 'C');
    await assert.rejects(bob.setGroupMemberNameCard({ groupID: open.groupID, userID: 'alice', nameCard: 'x' }), { code: 10007 }, 'an admin on the owner');
    await assert.rejects(carol.setGroupMemberNameCard({ groupID: open.groupID, userID: 'bob', nameCard: 'x' }), { code: 10007 }, 'a member on another');
  });
});
