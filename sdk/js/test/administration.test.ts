/**
 * What an app backend does through the REST API, as the SDK sees it: messages sent, recalled and
 * edited by the administrator (`MESSAGE_RECEIVED`, `MESSAGE_REVOKED`, `MESSAGE_MODIFIED`), kicks
 * (`KICKED_OUT` with `KICKED_OUT_REST_API`), group system notices in `@TIM#SYSTEM` and the group
 * list after removals and dismissals, and profiles (`getMyProfile`, `getUserProfile`,
 * `updateMyProfile`, `PROFILE_UPDATED`). The REST API exists on the real server only.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Group, type Message, type Profile } from '../src/index.js';
import { destroyAll, eventually, loginReady, newChat, record, textOf, waitForEvent } from './support/clients.js';
import { ADMIN, rest, textBody } from './support/rest.js';
import { type TestServer, serverKind, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;
const skip = serverKind() === 'fake' ? 'the fake server has no REST API' : false;

// Skipped test by test (not as a suite) so node's summary counts every test the stand-in skips.
describe('administration through the REST API', () => {
  let server: TestServer;
  let alice: ChatSDK;
  let bob: ChatSDK;
  let random = 1;

  before(async () => {
    if (skip) return;
    server = await startServer();
    alice = newChat(server);
    bob = newChat(server);
    await loginReady(alice, 'alice');
    await loginReady(bob, 'bob');
  });

  after(async () => {
    if (skip) return;
    await destroyAll(alice, bob);
    await server.dispose();
  });

  async function sendAsAlice(text: string): Promise<{ key: string; messages: [Message, Message] }> {
    const bobGets = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => textOf(message) === text));
    const aliceGets = waitForEvent<Message[]>(alice, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => textOf(message) === text));
    const reply = await rest(server, 'openim/sendmsg', { SyncOtherMachine: 1, From_Account: 'alice', To_Account: 'bob', MsgRandom: random++, MsgBody: textBody(text) });
    const received = (await bobGets).find((message) => textOf(message) === text)!;
    const synced = (await aliceGets).find((message) => textOf(message) === text)!;
    return { key: reply.MsgKey, messages: [received, synced] };
  }

  test('a REST send arrives as MESSAGE_RECEIVED, on the sender\'s devices too with SyncOtherMachine 1', { skip }, async () => {
    const { messages } = await sendAsAlice('from the backend');
    const [received, synced] = messages;
    assert.equal(received.from, 'alice');
    assert.equal(received.flow, 'in');
    assert.equal(received.conversationID, 'C2Calice');
    assert.equal(synced.flow, 'out');
    assert.equal(synced.ID, received.ID);
  });

  test('admin_msgwithdraw: both users get MESSAGE_REVOKED; the message stays with isRevoked', { skip }, async () => {
    const { key, messages } = await sendAsAlice('regrettable');
    const bobRevoked = waitForEvent<Message[]>(bob, EVENT.MESSAGE_REVOKED);
    const aliceRevoked = waitForEvent<Message[]>(alice, EVENT.MESSAGE_REVOKED);
    await rest(server, 'openim/admin_msgwithdraw', { From_Account: 'alice', To_Account: 'bob', MsgKey: key });
    const [revoked] = await bobRevoked;
    assert.equal(revoked, messages[0], 'the cached instance is updated in place');
    assert.equal(revoked!.isRevoked, true);
    assert.equal((await aliceRevoked)[0]!.ID, messages[1].ID);
    const conversation = (await bob.getConversationList()).data.conversationList.find((candidate) => candidate.conversationID === 'C2Calice')!;
    assert.equal(conversation.lastMessage.isRevoked, true);
    const history = await bob.getMessageList({ conversationID: 'C2Calice' });
    assert.equal(history.data.messageList.find((message) => message.ID === revoked!.ID)?.isRevoked, true);
  });

  test('modify_c2c_msg: both users get MESSAGE_MODIFIED with the new content', { skip }, async () => {
    const { key, messages } = await sendAsAlice('tpyo');
    const bobModified = waitForEvent<Message[]>(bob, EVENT.MESSAGE_MODIFIED);
    const aliceModified = waitForEvent<Message[]>(alice, EVENT.MESSAGE_MODIFIED);
    await rest(server, 'openim/modify_c2c_msg', { From_Account: 'alice', To_Account: 'bob', MsgKey: key, MsgBody: textBody('typo'), CloudCustomData: 'fixed' });
    const [modified] = await bobModified;
    assert.equal(modified, messages[0]);
    assert.equal(textOf(modified!), 'typo');
    assert.equal(modified!.cloudCustomData, 'fixed');
    assert.equal(textOf((await aliceModified)[0]!), 'typo');
  });

  test('a recall while offline shows at the next login', { skip }, async () => {
    const { key, messages } = await sendAsAlice('before logout');
    await bob.logout();
    await rest(server, 'openim/admin_msgwithdraw', { From_Account: 'alice', To_Account: 'bob', MsgKey: key });
    await loginReady(bob, 'bob');
    const history = await bob.getMessageList({ conversationID: 'C2Calice' });
    assert.equal(history.data.messageList.find((message) => message.ID === messages[0].ID)?.isRevoked, true);
  });

  test('group system notices arrive in @TIM#SYSTEM; removal and dismissal update GROUP_LIST_UPDATED', { skip }, async () => {
    const bobJoins = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => list.some((group) => group.groupID === 'club1'));
    const aliceJoins = waitForEvent<Group[]>(alice, EVENT.GROUP_LIST_UPDATED, (list) => list.some((group) => group.groupID === 'club1'));
    await rest(server, 'group_open_http_svc/create_group', { Type: 'Public', Name: 'club', GroupId: 'club1', MemberList: [{ Member_Account: 'alice' }, { Member_Account: 'bob' }] });
    await bobJoins;
    await aliceJoins;

    const custom = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => message.type === TYPES.MSG_GRP_SYS_NOTICE));
    await rest(server, 'group_open_http_svc/send_group_system_notification', { GroupId: 'club1', Content: 'doors open at 8' });
    const notice = (await custom).find((message) => message.type === TYPES.MSG_GRP_SYS_NOTICE)!;
    assert.equal(notice.conversationID, TYPES.CONV_SYSTEM);
    assert.equal(notice.conversationType, TYPES.CONV_SYSTEM);
    assert.equal(notice.payload.operationType, 255);
    assert.equal(notice.payload.userDefinedField, 'doors open at 8');
    assert.deepEqual(notice.payload.groupProfile, { groupID: 'club1', name: 'club' });
    assert.equal(notice.payload.operatorID, ADMIN);

    const kicked = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => message.payload?.operationType === 4));
    const bobList = waitForEvent<Group[]>(bob, EVENT.GROUP_LIST_UPDATED, (list) => !list.some((group) => group.groupID === 'club1'));
    await rest(server, 'group_open_http_svc/delete_group_member', { GroupId: 'club1', MemberToDel_Account: ['bob'], Reason: 'quiet please' });
    assert.equal((await kicked).find((message) => message.payload?.operationType === 4)!.payload.userDefinedField, 'quiet please');
    await bobList;

    const dismissed = waitForEvent<Message[]>(alice, EVENT.MESSAGE_RECEIVED, (list) => list.some((message) => message.payload?.operationType === 5));
    const aliceList = waitForEvent<Group[]>(alice, EVENT.GROUP_LIST_UPDATED, (list) => !list.some((group) => group.groupID === 'club1'));
    await rest(server, 'group_open_http_svc/destroy_group', { GroupId: 'club1' });
    const dismissal = (await dismissed).find((message) => message.payload?.operationType === 5)!;
    assert.equal(dismissal.payload.groupProfile.groupID, 'club1');
    await aliceList;
  });

  test('profiles: updateMyProfile, getMyProfile, getUserProfile and PROFILE_UPDATED', { skip }, async () => {
    const phone = newChat(server, 'android');
    try {
      await loginReady(phone, 'alice');
      const seen = record<Profile[]>(alice, EVENT.PROFILE_UPDATED);
      const updated = await phone.updateMyProfile({
        nick: 'Alice',
        gender: TYPES.GENDER_FEMALE,
        birthday: 20000101,
        profileCustomField: [{ key: 'Tag_Profile_Custom_team', value: 'red' }],
      });
      assert.equal(updated.code, 0);
      assert.equal(updated.data.nick, 'Alice');
      assert.equal(updated.data.gender, TYPES.GENDER_FEMALE);
      assert.deepEqual(updated.data.profileCustomField, [{ key: 'Tag_Profile_Custom_team', value: 'red' }]);
      await eventually('the other session gets PROFILE_UPDATED', () => seen.some((list) => list.some((profile) => profile.nick === 'Alice')));

      const mine = await alice.getMyProfile();
      assert.equal(mine.data.userID, 'alice');
      assert.equal(mine.data.birthday, 20000101);
      assert.ok(mine.data.lastUpdatedNumber > 0);
      const theirs = await bob.getUserProfile({ userIDList: ['alice', 'nobody'] });
      assert.deepEqual(theirs.data.map((profile) => profile.userID), ['alice']);
      assert.equal(theirs.data[0]!.allowType, TYPES.ALLOW_TYPE_NEED_CONFIRM);

      const fromBackend = waitForEvent<Profile[]>(bob, EVENT.PROFILE_UPDATED, (list) => list.some((profile) => profile.nick === 'Robert'));
      await rest(server, 'profile/portrait_set', { From_Account: 'bob', ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'Robert' }] });
      await fromBackend;

      await assert.rejects(phone.updateMyProfile({ gender: 'male' as any }), (error: { code?: number }) => error.code === 40605);
      await assert.rejects(phone.updateMyProfile({}), (error: { code?: number }) => error.code === 2905);
      await assert.rejects(phone.getUserProfile({ userIDList: [] }), (error: { code?: number }) => error.code === 2905);
    } finally {
      await destroyAll(phone);
    }
  });

  test('kick: KICKED_OUT with TYPES.KICKED_OUT_REST_API', { skip }, async () => {
    const kicked = waitForEvent<{ type: string }>(bob, EVENT.KICKED_OUT);
    await rest(server, 'im_open_login_svc/kick', { UserID: 'bob' });
    assert.equal((await kicked).type, TYPES.KICKED_OUT_REST_API);
    assert.equal(bob.isReady(), false);
  });
});
