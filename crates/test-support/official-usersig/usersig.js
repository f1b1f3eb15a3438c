// Prints one UserSig made by Tencent's official npm generator `tls-sig-api-v2` (resolved through
// NODE_PATH; see install.sh). Usage: node usersig.js SDKAPPID KEY IDENTIFIER EXPIRE_SECONDS
'use strict';

const { Api } = require('tls-sig-api-v2');

const args = process.argv.slice(2);
if (args.length !== 4) {
  throw new Error('usage: node usersig.js SDKAPPID KEY IDENTIFIER EXPIRE_SECONDS');
}
const [sdkAppId, key, identifier, expire] = args;
const api = new Api(Number(sdkAppId), key);
process.stdout.write(api.genUserSig(identifier, Number(expire)) + '\n');
