/**
 * The app's before-send webhook as the SDK sees it: a rewritten message resolves `sendMessage` with
 * the stored version and fires `MESSAGE_MODIFIED` on the sender; a refused one rejects with the
 * documented code. The server calls a real HTTP backend run by this test.
 */

import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import TencentCloudChat, { type ChatSDK, type Message } from '../src/index.js';
import { destroyAll, loginReady, newChat, textOf, waitForEvent } from './support/clients.js';
import { SDK_APP_ID, SECRET_KEY, type TestServer, serverKind, startServer } from './support/server.js';

const { EVENT, TYPES } = TencentCloudChat;
const skip = serverKind() === 'fake' ? 'the fake server has no webhooks' : false;

/** Answers before-send callbacks: "refuse me" is refused, "rewrite me" is rewritten. */
function startBackend(): Promise<{ backend: Server; url: string }> {
  const backend = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const text = JSON.parse(body).MsgBody?.[0]?.MsgContent?.Text;
      const reply: Record<string, unknown> = { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' };
      if (text === 'refuse me') reply.ErrorCode = 1;
      if (text === 'rewrite me') reply.MsgBody = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'rewritten by the backend' } }];
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve) => {
    backend.listen(0, '127.0.0.1', () => {
      const address = backend.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ backend, url: `http://127.0.0.1:${port}/callback` });
    });
  });
}

// Skipped test by test (not as a suite) so node's summary counts every test the stand-in skips.
describe('before-send webhook', () => {
  let server: TestServer;
  let backend: Server;
  let alice: ChatSDK;
  let bob: ChatSDK;

  before(async () => {
    if (skip) return;
    const started = await startBackend();
    backend = started.backend;
    const configDir = mkdtempSync(join(tmpdir(), 'mynah-js-config-'));
    const config = join(configDir, 'mynah.toml');
    writeFileSync(
      config,
      [
        '[[apps]]',
        `sdk_app_id = ${SDK_APP_ID}`,
        `secret_key = "${SECRET_KEY}"`,
        '[apps.webhook]',
        `url = "${started.url}"`,
        'commands = ["C2C.CallbackBeforeSendMsg"]',
        '',
      ].join('\n'),
    );
    server = await startServer({ config });
    alice = newChat(server);
    bob = newChat(server);
    await loginReady(alice, 'alice');
    await loginReady(bob, 'bob');
  });

  after(async () => {
    if (skip) return;
    await destroyAll(alice, bob);
    await server.dispose();
    backend.close();
  });

  test('a rewritten message resolves with the stored version and fires MESSAGE_MODIFIED', { skip }, async () => {
    const modified = waitForEvent<Message[]>(alice, EVENT.MESSAGE_MODIFIED);
    const received = waitForEvent<Message[]>(bob, EVENT.MESSAGE_RECEIVED);
    const message = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'rewrite me' } });
    const { data } = await alice.sendMessage(message);
    assert.equal(textOf(data.message), 'rewritten by the backend');
    const [changed] = await modified;
    assert.equal(changed!.ID, message.ID);
    assert.equal(textOf(changed!), 'rewritten by the backend');
    const [arrived] = await received;
    assert.equal(textOf(arrived!), 'rewritten by the backend');
  });

  test('a refused message rejects with 20006', { skip }, async () => {
    const message = alice.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'refuse me' } });
    await assert.rejects(alice.sendMessage(message), (error: { code: number }) => error.code === 20006);
    assert.equal(message.status, 'fail');
  });
});
