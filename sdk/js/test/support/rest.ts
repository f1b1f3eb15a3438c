/**
 * The server's REST API (Tencent v4) called from the suites with `fetch`, as the app's
 * administrator (`administrator`, the server's default), to drive what an app backend does.
 */

import assert from 'node:assert/strict';

import { userSigFor } from './clients.js';
import { SDK_APP_ID, type TestServer } from './server.js';

/** The administrator identifier of the test app. */
export const ADMIN = 'administrator';

/** Calls `v4/{path}` and returns the reply; fails the test unless `ActionStatus` is `OK`. */
export async function rest(server: TestServer, path: string, body: unknown): Promise<any> {
  const userSig = await userSigFor(ADMIN);
  const query = `sdkappid=${SDK_APP_ID}&identifier=${ADMIN}&usersig=${encodeURIComponent(userSig)}&random=${Date.now() % 1e9}&contenttype=json`;
  const response = await fetch(`${server.url}/v4/${path}?${query}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 200);
  const reply: any = await response.json();
  assert.equal(reply.ActionStatus, 'OK', `${path}: ${JSON.stringify(reply)}`);
  return reply;
}

/** A text `MsgBody`. */
export function textBody(text: string): unknown[] {
  return [{ MsgType: 'TIMTextElem', MsgContent: { Text: text } }];
}
