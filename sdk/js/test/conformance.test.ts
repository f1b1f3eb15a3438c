/**
 * Conformance with the official `@tencentcloud/chat` package (a devDependency): the `EVENT`,
 * `TYPES` and `TSignaling` maps equal its runtime values key for key, the default export has the
 * official shape, and the list of implemented methods (whose signatures `types/official-compat.ts`
 * checks at compile time) is exactly what our instances offer. Also checks the test UserSig helper
 * against an independent verifier.
 */

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';

import TencentCloudChat, { EVENT, TIM, TIM_EVENT, TSignaling, TYPES, genTestUserSig } from '../src/index.js';
import { IMPLEMENTED_METHODS } from './types/implemented.js';

function loadOfficial(): { EVENT: object; TYPES: object; TSignaling: object; create: Function } {
  const require = createRequire(import.meta.url);
  const info = console.log;
  console.log = () => undefined; // The official bundle logs its version when loaded.
  try {
    const loaded = require('@tencentcloud/chat');
    return loaded.default ?? loaded;
  } finally {
    console.log = info;
  }
}

function officialMethodNames(): string[] {
  const require = createRequire(import.meta.url);
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const declarations = readFileSync(require.resolve('@tencentcloud/chat/index.d.ts'), 'utf8');
  const body = declarations.slice(declarations.indexOf('export declare class ChatSDK'), declarations.indexOf('declare interface CREATE_OPTIONS'));
  return [...body.matchAll(/^ {2}([A-Za-z]\w*)\(/gm)].map((match) => match[1]!);
}

describe('conformance with @tencentcloud/chat', () => {
  const official = loadOfficial();

  test('EVENT equals the official runtime map', () => {
    assert.deepEqual({ ...EVENT }, { ...official.EVENT });
    assert.equal(TencentCloudChat.EVENT, EVENT);
  });

  test('TYPES equals the official runtime map', () => {
    assert.deepEqual({ ...TYPES }, { ...official.TYPES });
    assert.equal(TencentCloudChat.TYPES, TYPES);
  });

  test('TSignaling equals the official runtime map', () => {
    assert.deepEqual({ ...TSignaling }, { ...official.TSignaling });
    assert.equal(TencentCloudChat.TSignaling, TSignaling);
  });

  test('the default export has the official shape; TIM is the legacy v2 namespace', () => {
    for (const key of ['create', 'EVENT', 'TYPES', 'TSignaling', 'VERSION']) assert.ok(key in TencentCloudChat, key);
    assert.equal(typeof TencentCloudChat.create, 'function');
    assert.equal(typeof TIM.create, 'function');
    assert.equal(TIM.TYPES, TYPES);
    assert.equal(TIM.EVENT, TIM_EVENT);
    for (const [key, value] of Object.entries(EVENT)) assert.equal((TIM.EVENT as Record<string, string>)[key], value);
    assert.equal(TIM.EVENT.GROUP_SYSTEM_NOTICE_RECEIVED, 'receiveGroupSystemNotice');
    assert.equal(TIM.EVENT.SDK_RELOAD, 'sdkReload');
  });

  test('the implemented-method list is exactly the official methods our instances have', () => {
    const officialNames = officialMethodNames();
    assert.ok(officialNames.length > 100, `parsed ${officialNames.length} official methods`);
    const chat = TencentCloudChat.create({ SDKAppID: 1400000077, proxyServer: 'http://127.0.0.1:9', newInstance: true });
    const ours = officialNames.filter((name) => typeof (chat as unknown as Record<string, unknown>)[name] === 'function');
    assert.deepEqual([...ours].sort(), [...IMPLEMENTED_METHODS].sort());
  });

  test('genTestUserSig makes a TLSSigAPIv2 signature an independent verifier accepts', async () => {
    const { userSig } = await genTestUserSig({ SDKAppID: 1400000001, secretKey: 'secret', userID: 'alice', expireTime: 3600, currentTime: 1_700_000_000 });
    assert.match(userSig, /^[A-Za-z0-9*_-]+$/);
    const document = JSON.parse(inflateSync(Buffer.from(userSig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64')).toString());
    assert.equal(document['TLS.ver'], '2.0');
    assert.equal(document['TLS.identifier'], 'alice');
    assert.equal(document['TLS.sdkappid'], 1400000001);
    assert.equal(document['TLS.time'], 1_700_000_000);
    assert.equal(document['TLS.expire'], 3600);
    const content = 'TLS.identifier:alice\nTLS.sdkappid:1400000001\nTLS.time:1700000000\nTLS.expire:3600\n';
    assert.equal(document['TLS.sig'], createHmac('sha256', 'secret').update(content).digest('base64'));
  });
});
