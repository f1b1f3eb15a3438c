// Generates UserSigs with the official npm package `tls-sig-api-v2` (resolved through NODE_PATH)
// for the cases in a JSON file, with Date.now pinned to each case's time, and prints the vectors
// as a JSON array. Usage: node gen.js CASES.json [--now UNIX_SECONDS]
'use strict';

const fs = require('fs');

const PACKAGE = 'tls-sig-api-v2';
const { Api } = require(PACKAGE);
const version = require(`${PACKAGE}/package.json`).version;

const args = process.argv.slice(2);
if (args.length !== 1 && !(args.length === 3 && args[1] === '--now')) {
  throw new Error('usage: node gen.js CASES.json [--now UNIX_SECONDS]');
}
const overrideNow = args.length === 3 ? Number(args[2]) : null;
if (overrideNow !== null && !Number.isSafeInteger(overrideNow)) {
  throw new Error(`--now must be an integer, got ${args[2]}`);
}
const { cases } = JSON.parse(fs.readFileSync(args[0], 'utf8'));

const realDateNow = Date.now;
const vectors = [];
for (const testCase of cases) {
  const now = overrideNow ?? testCase.now;
  // A fraction of a second past `now`, so the generator's flooring is exercised too.
  Date.now = () => now * 1000 + 789;
  try {
    const api = new Api(testCase.sdk_app_id, testCase.key);
    let userbuf = null;
    if (testCase.private_map_key) {
      const { room_id: roomId, privilege_map: privilegeMap } = testCase.private_map_key;
      // genPrivateMapKey builds this same userbuf internally; build it here to record it.
      userbuf = api._genUserbuf(testCase.identifier, roomId, testCase.expire, privilegeMap, 0, null);
    } else if (testCase.userbuf_base64) {
      userbuf = Buffer.from(testCase.userbuf_base64, 'base64');
    }
    const userSig = testCase.private_map_key
      ? api.genPrivateMapKey(testCase.identifier, testCase.expire,
        testCase.private_map_key.room_id, testCase.private_map_key.privilege_map)
      : userbuf === null
        ? api.genUserSig(testCase.identifier, testCase.expire)
        : api.genSig(testCase.identifier, testCase.expire, userbuf);
    vectors.push({
      name: `node/${testCase.name}`,
      generator: `npm ${PACKAGE}@${version}`,
      sdk_app_id: testCase.sdk_app_id,
      key: testCase.key,
      identifier: testCase.identifier,
      expire: testCase.expire,
      now,
      userbuf_base64: userbuf === null ? null : userbuf.toString('base64'),
      user_sig: userSig,
    });
  } finally {
    Date.now = realDateNow;
  }
}
process.stdout.write(JSON.stringify(vectors, null, 2) + '\n');
