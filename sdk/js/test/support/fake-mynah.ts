/**
 * A stand-in for the `mynah` binary, used by the suites only while the real server is not built
 * (see `test/support/server.ts`). It speaks the protocol of `docs/protocol.md` with the same command
 * line (`serve --listen ADDR --data DIR --app ID:KEY`), prints the same "listening" line, and keeps
 * its state in DIR (written before every success) so restarts and SIGKILL behave like the real one.
 * It is a test double, not a reference implementation, and it lacks the REST API, webhooks and
 * config files: `server.ts` prints a banner when the suites run against it and counts what they
 * skip. Its group rules follow the server's (`crates/service/src/groups.rs`): only FreeAccess groups
 * can be joined (10007 otherwise, there are no join applications), the owner never quits (10009), a
 * new member's read mark starts at the group's newest message.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { type WebSocket, WebSocketServer } from 'ws';

type Json = any;

const args = process.argv.slice(2);
const argument = (name: string): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const listen = argument('--listen') ?? '127.0.0.1:0';
const dataDir = argument('--data') ?? '.';
const apps = new Map<number, string>();
for (let index = 0; index < args.length; index += 1) {
  if (args[index] === '--app') {
    const [id, key] = args[index + 1]!.split(/:(.*)/s);
    apps.set(Number(id), key!);
  }
}

// --- persistent state -------------------------------------------------------------------------

interface Thread { messages: Json[] }
interface State {
  threads: Record<string, Thread>;
  reads: Record<string, Record<string, number>>;
  changes: Record<string, Json[]>;
  groups: Record<string, Json>;
  dedup: Record<string, Json>;
  nextGroup: number;
  /** Profiles of users who logged in or set one (the fake's accounts). */
  profiles?: Record<string, Json>;
}
const statePath = join(dataDir, 'fake-mynah-state.json');
const state: State = existsSync(statePath)
  ? JSON.parse(readFileSync(statePath, 'utf8'))
  : { threads: {}, reads: {}, changes: {}, groups: {}, dedup: {}, nextGroup: 1 };
const save = (): void => writeFileSync(statePath, JSON.stringify(state));

// --- sessions ---------------------------------------------------------------------------------

interface Session { socket: WebSocket; userID: string; platform: string; sessionID: number; loggedInAt: number }
const sessions = new Set<Session>();
let nextSessionID = 1;

class Failure extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function push(session: Session, kind: string, data: Json): void {
  if (session.socket.readyState === 1) session.socket.send(JSON.stringify({ push: kind, data }));
}
function sessionsOf(userID: string): Session[] {
  return [...sessions].filter((session) => session.userID === userID);
}

// --- UserSig ----------------------------------------------------------------------------------

function verifyUserSig(sdkAppID: number, userID: string, userSig: string): number {
  const key = apps.get(sdkAppID);
  if (key === undefined) throw new Failure(70020, 'SDKAppID not configured');
  if (!userSig) throw new Failure(70002, 'empty UserSig');
  let document: Json;
  try {
    const base64 = userSig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    document = JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8'));
  } catch {
    throw new Failure(70003, 'UserSig cannot be decoded');
  }
  if (String(document['TLS.identifier']) !== userID) throw new Failure(70013, 'identifier mismatch');
  if (Number(document['TLS.sdkappid']) !== sdkAppID) throw new Failure(70014, 'sdkappid mismatch');
  const time = Number(document['TLS.time']);
  const expire = Number(document['TLS.expire']);
  const content = `TLS.identifier:${userID}\nTLS.sdkappid:${sdkAppID}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  const expected = createHmac('sha256', key).update(content).digest();
  const given = Buffer.from(String(document['TLS.sig']), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Failure(70009, 'bad signature');
  if (Date.now() / 1000 > time + expire) throw new Failure(70001, 'UserSig expired');
  return time + expire;
}

// --- conversations ----------------------------------------------------------------------------

function threadKey(conversationType: string, me: string, target: string): string {
  return conversationType === 'GROUP' ? `GROUP${target}` : `C2C:${[me, target].sort().join('|')}`;
}
function threadOf(userID: string, conversationID: string): string {
  if (conversationID.startsWith('GROUP')) return conversationID;
  if (conversationID.startsWith('C2C') && conversationID.length > 3) return threadKey('C2C', userID, conversationID.slice(3));
  throw new Failure(60002, `bad conversationID ${conversationID}`);
}
/** The counted index at a sequence (0 before the first message), as the server's store keeps it. */
function countedAt(messages: Json[], sequence: number): number {
  return sequence > 0 ? (messages[sequence - 1]?.countedIndex ?? 0) : 0;
}
function conversationOf(userID: string, conversationID: string): Json {
  const messages = state.threads[threadOf(userID, conversationID)]?.messages ?? [];
  const readSequence = state.reads[userID]?.[conversationID] ?? 0;
  const last = messages[messages.length - 1];
  const readCountedIndex = countedAt(messages, readSequence);
  let lastMessage: Json = null;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    if (!messages[index].excludedFromLastMessage) {
      lastMessage = messages[index];
      break;
    }
  }
  return {
    conversationID,
    type: conversationID.startsWith('GROUP') ? 'GROUP' : 'C2C',
    unreadCount: (last?.countedIndex ?? 0) - readCountedIndex,
    lastMessage,
    lastSequence: last?.sequence ?? 0,
    readSequence,
    updatedAtMs: last?.timeMs ?? 0,
    readCountedIndex,
    userProfile: conversationID.startsWith('GROUP') ? null : profileOf(conversationID.slice(3)),
  };
}
function conversationIDsOf(userID: string): string[] {
  const ids: string[] = [];
  for (const key of Object.keys(state.threads)) {
    if (key.startsWith('GROUP')) {
      if (state.groups[key.slice(5)]?.members[userID]) ids.push(key);
    } else {
      const [left, right] = key.slice(4).split('|');
      if (left === userID) ids.push(`C2C${right}`);
      else if (right === userID) ids.push(`C2C${left}`);
    }
  }
  return ids;
}
function appendChange(userID: string, change: Json): void {
  const stream = (state.changes[userID] ??= []);
  const entry = { position: stream.length + 1, change };
  stream.push(entry);
  save();
  for (const session of sessionsOf(userID)) push(session, 'change', entry);
}
function setRead(userID: string, conversationID: string, sequence: number, notify: boolean): void {
  (state.reads[userID] ??= {})[conversationID] = sequence;
  if (notify) {
    const conversation = conversationOf(userID, conversationID);
    appendChange(userID, {
      kind: 'conversationRead', conversationID, readSequence: sequence, unreadCount: conversation.unreadCount,
      readCountedIndex: conversation.readCountedIndex,
    });
  }
}

// --- groups -----------------------------------------------------------------------------------

function groupView(group: Json, userID: string): Json {
  const member = group.members[userID];
  const thread = state.threads[`GROUP${group.groupID}`]?.messages ?? [];
  return {
    groupID: group.groupID, type: group.type, name: group.name, ownerID: group.ownerID, createTime: group.createTime,
    memberCount: Object.keys(group.members).length, maxMemberNum: group.maxMemberNum, joinOption: group.joinOption,
    introduction: group.introduction, notification: group.notification, avatar: group.avatar,
    nextMessageSeq: thread.length + 1, selfInfo: member ? { role: member.role, joinTime: member.joinTime } : null,
  };
}
/** Adds a member whose read mark starts at the group's newest message; returns its `groupJoined` change. */
function addMember(group: Json, userID: string, role: string, joinTime: number): Json {
  group.members[userID] = { role, joinTime };
  const conversationID = `GROUP${group.groupID}`;
  const messages = state.threads[conversationID]?.messages ?? [];
  (state.reads[userID] ??= {})[conversationID] = messages.length;
  return { kind: 'groupJoined', group: groupView(group, userID), readSequence: messages.length, readCountedIndex: countedAt(messages, messages.length) };
}
function requireGroup(groupID: string): Json {
  const group = state.groups[groupID];
  if (!group) throw new Failure(10010, 'group not found');
  return group;
}

// --- profiles ---------------------------------------------------------------------------------

function profileOf(userID: string): Json {
  return {
    userID, nick: '', gender: 'Gender_Type_Unknown', birthday: 0, location: '', selfSignature: '',
    allowType: 'AllowType_Type_NeedConfirm', language: 0, avatar: '', messageSettings: 0,
    adminForbidType: 'AdminForbid_Type_None', level: 0, role: 0, lastUpdatedTime: 0, profileCustomField: [],
    ...state.profiles?.[userID],
  };
}
const PROFILE_FIELDS = ['nick', 'avatar', 'gender', 'selfSignature', 'allowType', 'birthday', 'location', 'language', 'messageSettings', 'adminForbidType', 'level', 'role', 'profileCustomField'];

// --- operations -------------------------------------------------------------------------------

function sendMessage(session: Session, data: Json): Json {
  const me = session.userID;
  const dedupKey = `${me}:${data.clientMsgID}`;
  if (state.dedup[dedupKey]) return { message: state.dedup[dedupKey], duplicate: true };
  if (data.to === '@TIM#SYSTEM') throw new Failure(2106, 'system conversation is read-only');
  if (JSON.stringify(data.msgBody).length + (data.cloudCustomData ?? '').length > 12 * 1024) throw new Failure(80002, 'message too long');
  let receivers: string[];
  if (data.conversationType === 'GROUP') {
    const group = requireGroup(data.to);
    if (!group.members[me]) throw new Failure(10007, 'not a member');
    receivers = Object.keys(group.members).filter((userID) => userID !== me);
  } else {
    receivers = [data.to];
  }
  const key = threadKey(data.conversationType, me, data.to);
  const thread = (state.threads[key] ??= { messages: [] });
  const now = Date.now();
  const sender = profileOf(me);
  const countedTotal = thread.messages[thread.messages.length - 1]?.countedIndex ?? 0;
  const message = {
    ID: `${me}-${data.clientMsgID}`, conversationType: data.conversationType, from: me, to: data.to,
    sequence: data.onlineUserOnly ? 0 : thread.messages.length + 1, random: data.random ?? 0,
    time: Math.floor(now / 1000), timeMs: now, clientMsgID: data.clientMsgID, msgBody: data.msgBody,
    cloudCustomData: data.cloudCustomData ?? '', priority: data.priority ?? 'Normal',
    needReadReceipt: data.needReadReceipt === true, isRevoked: false, onlineOnly: data.onlineUserOnly === true,
    excludedFromUnreadCount: data.excludedFromUnreadCount === true, excludedFromLastMessage: data.excludedFromLastMessage === true,
    nick: sender.nick, avatar: sender.avatar, nameCard: '',
    countedIndex: data.onlineUserOnly ? 0 : countedTotal + (data.excludedFromUnreadCount === true ? 0 : 1),
  };
  state.dedup[dedupKey] = message;
  if (!message.onlineOnly) {
    thread.messages.push(message);
    const senderConversation = data.conversationType === 'GROUP' ? `GROUP${data.to}` : `C2C${data.to}`;
    setRead(me, senderConversation, message.sequence, false);
  }
  save();
  for (const target of [...sessions]) {
    if (target === session) continue;
    if (target.userID === me || receivers.includes(target.userID)) push(target, 'message', message);
  }
  return { message, duplicate: false };
}

function handle(session: Session, op: string, data: Json): Json {
  const me = session.userID;
  switch (op) {
    case 'heartbeat':
      return { serverTimeMs: Date.now() };
    case 'sendMessage':
      return sendMessage(session, data);
    case 'getMessageList': {
      const messages: Json[] = state.threads[threadOf(me, data.conversationID)]?.messages ?? [];
      const count = Math.min(Math.max(data.count ?? 15, 1), 100);
      if (data.afterSequence !== undefined && data.afterSequence !== null) {
        const newer = messages.filter((message) => message.sequence > data.afterSequence);
        return { messageList: newer.slice(0, count), isCompleted: newer.length <= count };
      }
      const before = data.beforeSequence ?? Number.MAX_SAFE_INTEGER;
      const older = messages.filter((message) => message.sequence < before);
      return { messageList: older.slice(-count), isCompleted: older.length <= count };
    }
    case 'findMessage': {
      for (const id of conversationIDsOf(me)) {
        const found = state.threads[threadOf(me, id)]!.messages.find((message) => message.ID === data.messageID);
        if (found) return found;
      }
      throw new Failure(20026, 'message not found');
    }
    case 'setMessageRead': {
      const conversation = conversationOf(me, data.conversationID);
      setRead(me, data.conversationID, data.sequence ?? conversation.lastSequence, true);
      return conversationOf(me, data.conversationID);
    }
    case 'getConversationList': {
      const list = conversationIDsOf(me).map((id) => conversationOf(me, id)).sort((a, b) => b.updatedAtMs - a.updatedAtMs);
      return { conversationList: list, position: state.changes[me]?.length ?? 0 };
    }
    case 'getConversation':
      return conversationOf(me, data.conversationID);
    case 'getTotalUnreadMessageCount':
      return { totalUnreadCount: conversationIDsOf(me).reduce((sum, id) => sum + conversationOf(me, id).unreadCount, 0) };
    case 'sync': {
      const stream = state.changes[me] ?? [];
      const limit = Math.min(data.limit ?? 1000, 1000);
      const changes = stream.slice(data.position, data.position + limit);
      const position = data.position + changes.length;
      return { changes, position, hasMore: position < stream.length };
    }
    case 'createGroup': {
      const type = data.type === 'Work' ? 'Private' : data.type === 'Meeting' ? 'ChatRoom' : data.type;
      if (type === 'AVChatRoom' || type === 'Community') throw new Failure(10035, `${type} groups are not supported`);
      const groupID = data.groupID ?? `@TGS#fake${state.nextGroup++}`;
      if (state.groups[groupID]) throw new Failure(10021, 'group ID in use');
      const now = Math.floor(Date.now() / 1000);
      const defaults: Json = { Private: [200, 'DisableApply'], Public: [2000, 'FreeAccess'], ChatRoom: [10000, 'FreeAccess'] };
      // As the server: work groups take members by invitation only, meeting groups are open to all.
      if (type !== 'Public' && data.joinOption !== undefined && data.joinOption !== defaults[type][1]) throw new Failure(10004, 'joinOption cannot be set for this type');
      const joinOption = type === 'Public' ? (data.joinOption ?? defaults[type][1]) : defaults[type][1];
      const group: Json = {
        groupID, type, name: data.name, ownerID: me, createTime: now, maxMemberNum: data.maxMemberNum || defaults[type][0],
        joinOption, introduction: data.introduction ?? '', notification: data.notification ?? '',
        avatar: data.avatar ?? '', members: {},
      };
      const roles = new Map<string, string>([[me, 'Owner']]);
      for (const member of data.memberList ?? []) if (!roles.has(member.userID)) roles.set(member.userID, member.role === 'Admin' && type !== 'Private' ? 'Admin' : 'Member');
      if (roles.size > group.maxMemberNum) throw new Failure(10014, 'group is full');
      const joined = [...roles].map(([userID, role]) => [userID, addMember(group, userID, role, now)] as const);
      state.groups[groupID] = group;
      save();
      for (const [userID, change] of joined) appendChange(userID, change);
      return groupView(group, me);
    }
    case 'joinGroup': {
      const group = requireGroup(data.groupID);
      if (group.members[me]) return { status: 'AlreadyInGroup', group: groupView(group, me) };
      // As the server: no join applications, so only FreeAccess groups can be joined.
      if (group.type === 'Private' || group.joinOption !== 'FreeAccess') throw new Failure(10007, 'joining is not allowed');
      if (Object.keys(group.members).length >= group.maxMemberNum) throw new Failure(10014, 'group is full');
      const change = addMember(group, me, 'Member', Math.floor(Date.now() / 1000));
      save();
      appendChange(me, change);
      return { status: 'JoinedSuccess', group: groupView(group, me) };
    }
    case 'quitGroup': {
      const group = requireGroup(data.groupID);
      if (!group.members[me]) throw new Failure(10007, 'not a member');
      // As the server: only a work group's owner may quit, leaving the group without an owner.
      if (group.members[me].role === 'Owner' && group.type !== 'Private') throw new Failure(10009, 'the owner cannot quit');
      if (group.members[me].role === 'Owner') group.ownerID = '';
      delete group.members[me];
      save();
      appendChange(me, { kind: 'groupLeft', groupID: data.groupID });
      return {};
    }
    case 'getGroupList':
      return { groupList: Object.values(state.groups).filter((group) => group.members[me]).map((group) => groupView(group, me)) };
    case 'getGroupProfile': {
      const group = requireGroup(data.groupID);
      if (group.type === 'Private' && !group.members[me]) throw new Failure(10007, 'only members can see a work group');
      return groupView(group, me);
    }
    case 'getUserProfile': {
      const asked: string[] = data.userIDList ?? [];
      if (asked.length > 100) throw new Failure(40001, 'at most 100 users');
      return { profileList: asked.filter((userID) => state.profiles?.[userID]).map(profileOf) };
    }
    case 'updateMyProfile': {
      const update = Object.fromEntries(PROFILE_FIELDS.filter((field) => data[field] !== undefined).map((field) => [field, data[field]]));
      if (Object.keys(update).length === 0) throw new Failure(40001, 'nothing to update');
      (state.profiles ??= {})[me] = { ...state.profiles[me], ...update, lastUpdatedTime: Math.floor(Date.now() / 1000) };
      save();
      appendChange(me, { kind: 'profileUpdated', profile: profileOf(me) });
      return profileOf(me);
    }
    default:
      throw new Failure(60002, `unknown op ${op}`);
  }
}

// --- server -----------------------------------------------------------------------------------

const [host, port] = listen.split(/:(?=[^:]*$)/);
const http = createServer((_request, response) => {
  response.writeHead(404);
  response.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
http.on('upgrade', (request, socket, head) => {
  if (request.url !== '/ws') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
});

function accept(socket: WebSocket): void {
  let session: Session | undefined;
  socket.on('message', (raw) => {
    let frame: Json;
    try {
      frame = JSON.parse(String(raw));
    } catch {
      socket.send(JSON.stringify({ id: 0, code: 60002, message: 'not JSON' }));
      return;
    }
    const reply = (body: Json) => socket.readyState === 1 && socket.send(JSON.stringify({ id: frame.id, ...body }));
    try {
      if (frame.op === 'login') {
        const data = frame.data;
        const expireTime = verifyUserSig(data.sdkAppID, data.userID, data.userSig);
        const platform = data.platform ?? 'web';
        for (const other of sessionsOf(data.userID).filter((candidate) => candidate.platform === platform)) {
          push(other, 'kicked', { reason: 'multipleAccount' });
          sessions.delete(other);
          other.socket.close(4001, 'kicked');
        }
        session = { socket, userID: data.userID, platform, sessionID: nextSessionID++, loggedInAt: Date.now() };
        (state.profiles ??= {})[data.userID] ??= {};
        save();
        sessions.add(session);
        reply({ code: 0, data: { serverTimeMs: Date.now(), position: state.changes[data.userID]?.length ?? 0, userSigExpireTime: expireTime, sessionID: session.sessionID } });
        return;
      }
      if (!session) throw new Failure(2024, 'not logged in');
      if (frame.op === 'logout') {
        sessions.delete(session);
        reply({ code: 0, data: {} });
        socket.close(1000, 'logout');
        return;
      }
      reply({ code: 0, data: handle(session, frame.op, frame.data ?? {}) });
    } catch (error) {
      if (error instanceof Failure) reply({ code: error.code, message: error.message });
      else reply({ code: 10002, message: String(error) });
    }
  });
  socket.on('close', () => {
    if (session) sessions.delete(session);
  });
}

http.listen(Number(port), host, () => {
  const address = http.address();
  if (address && typeof address === 'object') console.log(`mynah listening on ${address.address}:${address.port}`);
});
process.on('SIGTERM', () => {
  for (const session of sessions) session.socket.terminate();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
});
