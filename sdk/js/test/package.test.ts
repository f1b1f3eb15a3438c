/**
 * The built package: the ESM and CommonJS entry points load and expose the same API, and the
 * browser bundle runs in a browser-like global scope (no `require`, a global `WebSocket`), sets
 * `window.TencentCloudChat` and can talk through that WebSocket.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createContext, runInContext } from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

describe('built package', () => {
  test('ESM entry: default export and named exports', async () => {
    const module = await import(pathToFileURL(join(dist, 'esm', 'index.js')).href);
    assert.equal(typeof module.default.create, 'function');
    assert.equal(module.default.EVENT.SDK_READY, 'sdkStateReady');
    assert.equal(typeof module.TIM.create, 'function');
    assert.equal(typeof module.genTestUserSig, 'function');
    assert.equal(typeof module.ChatError, 'function');
  });

  test('CommonJS entry: require() gives the namespace itself, plus .default', () => {
    const require = createRequire(import.meta.url);
    const TencentCloudChat = require(join(dist, 'cjs', 'index.js'));
    assert.equal(typeof TencentCloudChat.create, 'function');
    assert.equal(TencentCloudChat.TYPES.CONV_C2C, 'C2C');
    assert.equal(TencentCloudChat.default.create, TencentCloudChat.create);
    assert.equal(typeof TencentCloudChat.TIM.create, 'function');
  });

  test('.d.ts files are emitted for both entries', () => {
    for (const file of ['esm/index.d.ts', 'cjs/index.d.ts', 'esm/chat.d.ts']) assert.ok(readFileSync(join(dist, file), 'utf8').length > 0, file);
  });

  test('browser bundle: sets window.TencentCloudChat and uses the global WebSocket', async () => {
    const opened: string[] = [];
    class FakeWebSocket {
      readyState = 0;
      onopen: ((event: unknown) => void) | null = null;
      onclose: ((event: unknown) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      onmessage: ((event: unknown) => void) | null = null;
      constructor(url: string) {
        opened.push(url);
        setTimeout(() => this.onerror?.({ message: 'no server in this test' }), 0);
      }
      send(): void {}
      close(): void {}
    }
    const window: Record<string, unknown> = {
      WebSocket: FakeWebSocket,
      location: { origin: 'https://chat.example.com' },
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      URL,
      TextEncoder,
      crypto: globalThis.crypto,
    };
    window.globalThis = window;
    window.window = window;
    const context = createContext(window);
    runInContext(readFileSync(join(dist, 'browser', 'mynah-chat.js'), 'utf8'), context);
    const TencentCloudChat = window.TencentCloudChat as { create: Function; EVENT: Record<string, string> };
    assert.equal(typeof TencentCloudChat.create, 'function');
    assert.equal(TencentCloudChat.EVENT.MESSAGE_RECEIVED, 'onMessageReceived');
    const chat = TencentCloudChat.create({ SDKAppID: 1400000001 }) as { setLogLevel(level: number): void; login(options: object): Promise<unknown> };
    chat.setLogLevel(4);
    await assert.rejects(chat.login({ userID: 'alice', userSig: 'sig' }), { code: 2800 });
    assert.deepEqual(opened, ['wss://chat.example.com/ws'], 'defaults to the page origin, https → wss');
  });
});
