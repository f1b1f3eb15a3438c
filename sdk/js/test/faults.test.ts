/**
 * R2, the SDK under network faults (docs/performance.md): every SDK instance talks to the server
 * through a TCP proxy (`support/fault-proxy.ts`) that cuts each connection after a few to tens of
 * milliseconds — closed, reset, or in the middle of a frame, so requests are cut mid-send and
 * responses and pushes mid-sync — while the instances send one-to-one and group messages and a
 * second device of one user marks conversations read. A send the SDK reports as failed is sent
 * again the way an app would: `resendMessage` with the same message (so the same ID).
 *
 * Then the faults stop, everyone reconnects and resyncs, and the test checks what "delivered" means
 * for the JS SDK:
 *
 * 1. Announced: each instance announces every message of its user's conversations that it did not
 *    send itself through `MESSAGE_RECEIVED` exactly once — live pushes and whatever its resyncs
 *    fetched after reconnects — as it arrives (a message past a gap before the missing one, see
 *    "Sync" in docs/protocol.md); never a message that was not
 *    sent, never its own. (A user who logs in while the faults are on must be announced every
 *    message sent after its `SDK_READY`; older ones are history, and are announced at most once.)
 * 2. Stored: paging `getMessageList` after the resync shows every sent message of the conversation
 *    exactly once, under dense sequences 1..n, and nothing else.
 * 3. Counted: each instance's `getConversationList` (unread count and last message sequence per
 *    conversation) and `getTotalUnreadMessageCount` equal those of a fresh instance of the same user
 *    connected directly to the server.
 *
 * Every message the app sent ends up reported sent: `sendMessage`/`resendMessage` resolved, or its
 * status became `success` when a resync found the stored original before the app resent it.
 *
 * Seeds: `MYNAH_FAULT_SEED=<n>` runs that seed alone and replays its fault schedule (the lifetime
 * and cut of the N-th connection); by default seeds 1, 2 and 3 run.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';

import TencentCloudChat, { type ChatError, type ChatSDK, type Conversation, type Message } from '../src/index.js';
import { destroyAll, loginReady, newChat, record, settle, textOf, userSigFor, waitForEvent } from './support/clients.js';
import { FaultProxy, seededRandom } from './support/fault-proxy.js';
import { rest } from './support/rest.js';
import { SDK_APP_ID, SECRET_KEY, type TestServer, serverKind, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;

/** How long the proxy cuts connections (at most: less when every message is sent sooner). */
const FAULT_MS = 2000;
/** Messages the faults go on for (up to 3 * FAULT_MS) when FAULT_MS is not enough for them. */
const MIN_UNDER_FAULTS = 24;
/** Messages each sender sends into each of its conversations. */
const PER_FLOW = 12;
const SEEDS = process.env.MYNAH_FAULT_SEED ? [Number(process.env.MYNAH_FAULT_SEED)] : [1, 2, 3];

/** SDK options for the instances behind the proxy: quick reconnects, short request deadlines. */
const FAULTY = { reconnectMinDelayMs: 10, reconnectMaxDelayMs: 150, requestTimeoutMs: 500 } as const;

/** The request deadline of one instance whose sends and resyncs are meant to fail now and then. */
const IMPATIENT_MS = 150;

/** A message the app sent, and how. */
interface Sent {
  message: Message;
  /** The instance that sent it. */
  sender: ChatSDK;
  conversationKey: string;
  /** When the app first called sendMessage (performance.now()). */
  startedAt: number;
  attempts: number;
  /** Whether a sendMessage/resendMessage promise resolved (else a resync found it stored first). */
  resolved: boolean;
}

/** One SDK instance under test. */
interface Device {
  name: string;
  userID: string;
  chat: ChatSDK;
  received: Message[][];
  /** performance.now() at SDK_READY. */
  readyAt: number;
}

function isNetworkFailure(error: unknown): boolean {
  const code = (error as ChatError).code;
  return code === 2800 || code === 2801;
}

/** Sends like an app does under a bad network: on a reported failure, resend the same message. */
async function sendUntilSent(entry: Sent): Promise<void> {
  const { sender, message } = entry;
  for (;;) {
    entry.attempts += 1;
    try {
      await (entry.attempts === 1 ? sender.sendMessage(message) : sender.resendMessage(message));
      entry.resolved = true;
      return;
    } catch (error) {
      // A resync may have found the stored original in the meantime: then there is nothing to resend.
      if (message.status === 'success') return;
      if (!isNetworkFailure(error)) throw error;
      assert.equal(message.status, 'fail', 'a failed send is marked fail');
      await settle(5);
    }
  }
}

/** Logs in, under faults or on a slow machine: an app retries a login that failed on the network. */
async function loginThroughFaults(device: Device): Promise<void> {
  const ready = waitForEvent(device.chat, EVENT.SDK_READY, () => true, 25_000);
  for (;;) {
    try {
      await device.chat.login({ userID: device.userID, userSig: await userSigFor(device.userID) });
      break;
    } catch (error) {
      if (!isNetworkFailure(error)) throw error;
      await settle(5);
    }
  }
  await ready;
}

/** The whole history of a conversation, oldest first, paged as an app pages it. */
async function fullHistory(chat: ChatSDK, conversationID: string): Promise<Message[]> {
  const pages: Message[][] = [];
  let nextReqMessageID: string | undefined;
  for (;;) {
    const { data } = await chat.getMessageList(nextReqMessageID ? { conversationID, nextReqMessageID } : { conversationID });
    pages.unshift(data.messageList);
    if (data.isCompleted) return pages.flat();
    nextReqMessageID = data.nextReqMessageID;
  }
}

/** What a conversation list says about counts, for comparing two instances. */
function counts(list: Conversation[]): Record<string, { unread: number; lastSequence: number }> {
  const result: Record<string, { unread: number; lastSequence: number }> = {};
  for (const conversation of list) result[conversation.conversationID] = { unread: conversation.unreadCount, lastSequence: conversation.lastMessage.lastSequence };
  return result;
}

const skip = serverKind() === 'fake' ? 'R2 runs against the real server (the fake takes no config file)' : false;

// Skipped test by test (not as a suite) so node's summary counts every test the stand-in skips.
describe('R2: network faults through a cutting TCP proxy', () => {
  let server: TestServer;

  before(async () => {
    if (skip) return;
    // Not under test here: the group rate limit (R5; over it, messages are reported sent and
    // dropped), and the per-platform session limit. With one session per platform, a login the
    // client gave up on (its connection was cut while the server was still logging it in) can
    // register after the client's next login and displace it with a multipleAccount kick.
    const config = join(mkdtempSync(join(tmpdir(), 'mynah-js-config-')), 'mynah.toml');
    writeFileSync(
      config,
      ['group_messages_per_second = 0', 'max_sessions_per_platform = 8', '[[apps]]', `sdk_app_id = ${SDK_APP_ID}`, `secret_key = "${SECRET_KEY}"`, ''].join('\n'),
    );
    server = await startServer({ config });
  });

  after(async () => {
    if (skip) return;
    await server.dispose();
  });

  for (const seed of SEEDS) {
    test(`seed ${seed}: every message reported sent is delivered exactly once; unread counts match a fresh snapshot`, { timeout: 60_000, skip }, async (t) => {
      const proxy = await FaultProxy.start(server.url, { seed });
      const random = seededRandom(seed ^ 0x5eed);
      const all: ChatSDK[] = [];
      const devices: Device[] = [];
      /** Session endings nobody asked for (kick-outs, errors): there must be none. */
      const endings: string[] = [];
      const user = (name: string) => `${name}-r2s${seed}`;
      const device = (name: string, platform: 'web' | 'android' = 'web', requestTimeoutMs: number = FAULTY.requestTimeoutMs): Device => {
        const chat = newChat(server, platform, { ...FAULTY, requestTimeoutMs, proxyServer: proxy.url });
        all.push(chat);
        const entry: Device = { name, userID: user(name.split('/')[0]!), chat, received: record<Message[]>(chat, EVENT.MESSAGE_RECEIVED), readyAt: 0 };
        chat.on(EVENT.SDK_READY, () => {
          entry.readyAt = performance.now();
        });
        for (const eventName of [EVENT.KICKED_OUT, EVENT.ERROR, EVENT.SDK_NOT_READY]) {
          chat.on(eventName, (event: { data?: unknown }) => endings.push(`${entry.name}: ${eventName} ${JSON.stringify(event.data ?? null)}`));
        }
        devices.push(entry);
        return entry;
      };
      try {
        const alice = device('alice');
        const bob = device('bob');
        const bobPhone = device('bob/phone', 'android');
        // Carol's app gives up on a request quickly, so her sends fail and are resent, and her
        // resyncs fail and are tried again.
        const carol = device('carol', 'web', IMPATIENT_MS);
        const dave = device('dave');
        const erin = device('erin');
        for (const early of [alice, bob, bobPhone, carol, dave]) await loginThroughFaults(early);
        // Erin logs in late, so the backend imports her account: initial members need one.
        await rest(server, 'im_open_login_svc/account_import', { UserID: user('erin') });
        const { data } = await alice.chat.createGroup({
          name: `r2 ${seed}`,
          type: TYPES.GRP_WORK,
          memberList: ['bob', 'carol', 'dave', 'erin'].map((name) => ({ userID: user(name) })),
        });
        const groupID = data.group.groupID;

        // Who sends where. Every conversation starts under faults (new to its receivers then).
        const flows: Array<{ from: Device; to: string; type: string }> = [
          { from: alice, to: user('bob'), type: TYPES.CONV_C2C },
          { from: bob, to: user('alice'), type: TYPES.CONV_C2C },
          { from: carol, to: user('bob'), type: TYPES.CONV_C2C },
          { from: carol, to: user('dave'), type: TYPES.CONV_C2C },
          { from: dave, to: user('erin'), type: TYPES.CONV_C2C },
          { from: alice, to: groupID, type: TYPES.CONV_GROUP },
          { from: carol, to: groupID, type: TYPES.CONV_GROUP },
          { from: dave, to: groupID, type: TYPES.CONV_GROUP },
        ];
        const conversationKey = (type: string, a: string, b: string) => (type === TYPES.CONV_GROUP ? `GROUP${b}` : `C2C:${[a, b].sort().join('|')}`);
        const sent: Sent[] = [];

        proxy.startFaults();
        const sending = flows.map(async (flow, index) => {
          for (let count = 0; count < PER_FLOW; count += 1) {
            const message = flow.from.chat.createTextMessage({ to: flow.to, conversationType: flow.type, payload: { text: `flow ${index} #${count}` } });
            const entry: Sent = {
              message,
              sender: flow.from.chat,
              conversationKey: conversationKey(flow.type, flow.from.userID, flow.to),
              startedAt: performance.now(),
              attempts: 0,
              resolved: false,
            };
            sent.push(entry);
            await sendUntilSent(entry);
            await settle(Math.floor(random() * 15));
          }
        });
        // Bob's phone reads his conversations now and then, so read marks change mid-sync too.
        let reading = true;
        let reads = 0;
        const readLoop = (async () => {
          const conversations = [`C2C${user('alice')}`, `C2C${user('carol')}`, `GROUP${groupID}`];
          while (reading) {
            await settle(20 + Math.floor(random() * 60));
            try {
              await bobPhone.chat.setMessageRead({ conversationID: conversations[Math.floor(random() * conversations.length)]! });
              reads += 1;
            } catch (error) {
              if (!isNetworkFailure(error)) throw error;
            }
          }
        })();
        // Erin logs in while the connections keep being cut.
        const late = (async () => {
          await settle(150);
          await loginThroughFaults(erin);
        })();

        // Awaited below; a failure before that must not count as unhandled.
        for (const pending of [readLoop, late]) pending.catch(() => undefined);

        // The faults last FAULT_MS, longer on a slow machine until MIN_UNDER_FAULTS messages are sent,
        // never more than 3 * FAULT_MS (for CI); sends still under way then finish without them.
        const faultsStarted = performance.now();
        let allSent = false;
        void Promise.all(sending).then(() => (allSent = true), () => (allSent = true));
        for (;;) {
          const elapsed = performance.now() - faultsStarted;
          const done = sent.filter((entry) => entry.message.status === 'success').length;
          if (allSent || elapsed > 3 * FAULT_MS || (elapsed > FAULT_MS && done >= MIN_UNDER_FAULTS)) break;
          await settle(10);
        }
        proxy.stopFaults();
        const faultsEnded = performance.now();
        await late;
        await Promise.all(sending);
        reading = false;
        await readLoop;
        const settleStarted = performance.now();

        // Every message the app sent is reported sent, with its ID unchanged.
        for (const entry of sent) assert.equal(entry.message.status, 'success', `${entry.message.ID} reported sent`);
        assert.equal(new Set(sent.map((entry) => entry.message.ID)).size, sent.length);

        const membersOf = (key: string): string[] =>
          key.startsWith('GROUP') ? [alice, bob, carol, dave, erin].map((member) => member.userID) : key.slice(4).split('|');
        const expectedFor = (target: Device): { must: Sent[]; may: Sent[] } => {
          const mine = sent.filter((entry) => entry.sender !== target.chat && membersOf(entry.conversationKey).includes(target.userID));
          // Messages of a user who logged in late are history when sent before its SDK_READY.
          return { must: mine.filter((entry) => entry.startedAt > target.readyAt), may: mine };
        };

        assert.deepEqual(endings, [], `no session ended under faults (seed ${seed})`);

        // 1. Announced: every message exactly once.
        for (const target of devices) {
          const { must } = expectedFor(target);
          const missing = () => {
            const got = new Set(target.received.flat().map((message) => message.ID));
            return must.filter((entry) => !got.has(entry.message.ID)).map((entry) => `${entry.message.conversationID} #${entry.message.sequence} ${entry.message.ID}`);
          };
          const deadline = Date.now() + 15_000;
          while (missing().length > 0 && Date.now() < deadline) await settle(20);
          assert.deepEqual(missing(), [], `${target.name} is announced every message sent to it (seed ${seed})`);
        }
        const announcedMs = Math.round(performance.now() - settleStarted);
        await settle(500);
        for (const target of devices) {
          const { may } = expectedFor(target);
          const allowed = new Map(may.map((entry) => [entry.message.ID, entry]));
          const got = target.received.flat();
          const ids = got.map((message) => message.ID);
          const twice = ids.filter((id, index) => ids.indexOf(id) !== index);
          assert.deepEqual(twice, [], `${target.name}: nothing announced twice (seed ${seed})`);
          for (const message of got) {
            const origin = allowed.get(message.ID);
            assert.ok(origin, `${target.name}: announced ${message.ID} (${textOf(message)}), which is not a message sent to it by another instance (seed ${seed})`);
            assert.equal(textOf(message), textOf(origin.message), `${target.name}: ${message.ID} has the sent content`);
            assert.equal(message.sequence, origin.message.sequence, `${target.name}: ${message.ID} has the stored sequence`);
          }
          // Not asserted: sequence order across events. A message past a gap is announced at once,
          // before the missing one is fetched (docs/protocol.md, "Sync").
        }

        const historyStarted = performance.now();
        // 2. Stored: each conversation's history holds every sent message once, densely numbered.
        const histories = new Map<string, string[]>();
        for (const key of new Set(sent.map((entry) => entry.conversationKey))) {
          const expected = sent.filter((entry) => entry.conversationKey === key).sort((left, right) => left.message.sequence - right.message.sequence);
          assert.deepEqual(
            expected.map((entry) => entry.message.sequence),
            expected.map((_, index) => index + 1),
            `${key}: stored once each under dense sequences (seed ${seed})`,
          );
          histories.set(key, expected.map((entry) => entry.message.ID));
        }
        for (const target of devices) {
          for (const [key, expectedIDs] of histories) {
            if (!membersOf(key).includes(target.userID)) continue;
            const conversationID = key.startsWith('GROUP') ? key : `C2C${membersOf(key).find((member) => member !== target.userID)}`;
            const history = await fullHistory(target.chat, conversationID);
            assert.deepEqual(history.map((message) => message.ID), expectedIDs, `${target.name}: history of ${conversationID} (seed ${seed})`);
          }
        }

        const historyMs = Math.round(performance.now() - historyStarted);
        const countsStarted = performance.now();
        // 3. Counted: the same unread counts as a fresh instance of the same user, connected directly.
        for (const target of devices) {
          if (target === bobPhone) continue;
          const fresh = newChat(server, 'linux');
          all.push(fresh);
          await loginReady(fresh, target.userID);
          const snapshot = counts((await fresh.getConversationList()).data.conversationList);
          const freshTotal = fresh.getTotalUnreadMessageCount();
          for (const checked of devices.filter((candidate) => candidate.userID === target.userID)) {
            const current = async () => counts((await checked.chat.getConversationList()).data.conversationList);
            const deadline = Date.now() + 5000;
            while (!isDeepStrictEqual(await current(), snapshot) && Date.now() < deadline) await settle(20);
            assert.deepEqual(await current(), snapshot, `${checked.name}: conversation counts equal a fresh snapshot (seed ${seed})`);
            assert.equal(checked.chat.getTotalUnreadMessageCount(), freshTotal, `${checked.name}: total unread equals a fresh snapshot (seed ${seed})`);
          }
          await destroyAll(fresh);
        }

        const underFaults = sent.filter((entry) => entry.startedAt < faultsEnded).length;
        const resent = sent.filter((entry) => entry.attempts > 1).length;
        const foundByResync = sent.filter((entry) => !entry.resolved).length;
        t.diagnostic(
          `seed ${seed}: ${sent.length} messages, ${underFaults} sent in ${Math.round(faultsEnded - faultsStarted)} ms of faults, all announced ${announcedMs} ms after, histories read in ${historyMs} ms, counts checked in ${Math.round(performance.now() - countsStarted)} ms; ` +
            `proxy: ${proxy.stats.connections} connections, ${proxy.stats.cuts} cuts (${proxy.stats.midChunkCuts} mid-chunk, ${proxy.stats.resets} resets); ` +
            `app resends: ${resent} messages, ${foundByResync} found stored by a resync; reads: ${reads}; erin ready after ${Math.round(erin.readyAt - faultsStarted)} ms`,
        );
        assert.ok(proxy.stats.cuts >= 20 && proxy.stats.midChunkCuts > 0, `the proxy must really cut (seed ${seed}): ${JSON.stringify(proxy.stats)}`);
        // On a loaded machine few connections live long enough to log in; some sends must still get through.
        assert.ok(underFaults >= 4, `messages sent under faults (seed ${seed}): ${underFaults}`);
      } finally {
        proxy.stopFaults();
        await destroyAll(...all);
        await proxy.close();
      }
    });
  }
});
