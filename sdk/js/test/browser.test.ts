/**
 * The browser bundle in a real browser (headless Debian Chromium through playwright-core): a page
 * makes its own UserSig with WebCrypto + CompressionStream, logs in over the browser's WebSocket,
 * sends to a Node client and receives its reply. Skipped, loudly, when `/usr/bin/chromium` (or
 * `CHROMIUM_PATH`) is not installed (`apt-get install chromium`).
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import TencentCloudChat, { type ChatSDK, type Message } from '../src/index.js';
import { destroyAll, loginReady, newChat, waitForEvent } from './support/clients.js';
import { SDK_APP_ID, SECRET_KEY, type TestServer, startServer } from './support/server.js';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(chromium);
if (!available) console.log(`# NOTICE: ${chromium} not found: the browser suite is SKIPPED (apt-get install chromium)`);

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'browser', 'mynah-chat.esm.js');

const page = `<!doctype html><meta charset="utf-8"><title>mynah-chat</title>
<script type="module">
  import TencentCloudChat, { genTestUserSig } from '/mynah-chat.esm.js';
  window.run = async ({ proxyServer, SDKAppID, secretKey }) => {
    const chat = TencentCloudChat.create({ SDKAppID, proxyServer });
    chat.setLogLevel(4);
    const ready = new Promise((resolve) => chat.on(TencentCloudChat.EVENT.SDK_READY, resolve));
    const reply = new Promise((resolve) => chat.on(TencentCloudChat.EVENT.MESSAGE_RECEIVED, (event) => resolve(event.data[0])));
    const { userSig } = await genTestUserSig({ SDKAppID, secretKey, userID: 'browser-user' });
    await chat.login({ userID: 'browser-user', userSig });
    await ready;
    const message = chat.createTextMessage({ to: 'node-user', conversationType: TencentCloudChat.TYPES.CONV_C2C, payload: { text: 'from the browser' } });
    const { data } = await chat.sendMessage(message);
    const received = await reply;
    const { data: list } = await chat.getConversationList();
    return { sentID: data.message.ID, status: data.message.status, received: received.payload.text, conversations: list.conversationList.map((c) => c.conversationID) };
  };
</script>`;

describe('browser', { skip: available ? false : `${chromium} not installed` }, () => {
  let server: TestServer;
  let nodeUser: ChatSDK;
  let pages: ReturnType<typeof createServer>;
  let pagesUrl = '';

  before(async () => {
    server = await startServer();
    nodeUser = newChat(server);
    await loginReady(nodeUser, 'node-user');
    pages = createServer((request, response) => {
      if (request.url === '/mynah-chat.esm.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        response.end(readFileSync(bundle));
      } else {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end(page);
      }
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await destroyAll(nodeUser);
    await new Promise((resolve) => pages.close(resolve));
    await server.dispose();
  });

  test('log in, send and receive from a page in headless Chromium', async () => {
    const { chromium: launcher } = await import('playwright-core');
    const browser = await launcher.launch({
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(pagesUrl);
      await tab.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === 'function');
      const answered = waitForEvent<Message[]>(nodeUser, TencentCloudChat.EVENT.MESSAGE_RECEIVED).then(async ([message]) => {
        assert.equal(message!.payload.text, 'from the browser');
        await nodeUser.sendMessage(nodeUser.createTextMessage({ to: 'browser-user', conversationType: TencentCloudChat.TYPES.CONV_C2C, payload: { text: 'hello browser' } }));
        return message!;
      });
      const result = await tab.evaluate(
        (options) => (window as unknown as { run: (o: unknown) => Promise<any> }).run(options),
        { proxyServer: server.url, SDKAppID: SDK_APP_ID, secretKey: SECRET_KEY },
      );
      const sent = await answered;
      assert.equal(result.sentID, sent.ID);
      assert.equal(result.status, 'success');
      assert.equal(result.received, 'hello browser');
      assert.deepEqual(result.conversations, ['C2Cnode-user']);
    } finally {
      await browser.close();
    }
  });
});
