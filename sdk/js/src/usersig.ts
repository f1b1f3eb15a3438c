/**
 * A UserSig generator for demos and tests, in the browser or Node, with no dependencies
 * (WebCrypto HMAC-SHA256 and `CompressionStream('deflate')`), following Tencent's TLSSigAPIv2.
 *
 * **Not for production.** It needs the app's secret key, and anyone who has the key can log in as
 * any user. Production apps get UserSigs from their own backend.
 *
 * @packageDocumentation
 */

/** Options of {@link genTestUserSig}. */
export interface TestUserSigOptions {
  /** The app's SDKAppID. */
  SDKAppID: number;
  /** The app's secret key (as configured on the server). */
  secretKey: string;
  /** The user to sign for. */
  userID: string;
  /** Validity in seconds from now; default 7 days. */
  expireTime?: number;
  /** The signing time, unix seconds; default now (tests use it to make expired signatures). */
  currentTime?: number;
}

/** Result of {@link genTestUserSig}. */
export interface TestUserSig {
  SDKAppID: number;
  userID: string;
  userSig: string;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function hmacSha256Base64(key: string, content: string): Promise<string> {
  const encoder = new TextEncoder();
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('genTestUserSig needs WebCrypto (crypto.subtle)');
  const cryptoKey = await subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64(new Uint8Array(await subtle.sign('HMAC', cryptoKey, encoder.encode(content))));
}

async function zlibDeflate(text: string): Promise<Uint8Array> {
  if (typeof CompressionStream !== 'function') throw new Error('genTestUserSig needs CompressionStream');
  // 'deflate' is the zlib format (RFC 1950: header + adler32), which TLSSigAPIv2 uses.
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Makes a UserSig for `userID` (TLSSigAPIv2: HMAC-SHA256 over the identity fields, JSON, zlib,
 * URL-safe base64 with `*`, `-` and `_`).
 *
 * **For demos and tests only** — never ship the secret key to clients.
 */
export async function genTestUserSig(options: TestUserSigOptions): Promise<TestUserSig> {
  const { SDKAppID, secretKey, userID } = options;
  const expire = options.expireTime ?? 7 * 24 * 3600;
  const time = options.currentTime ?? Math.floor(Date.now() / 1000);
  const content = `TLS.identifier:${userID}\nTLS.sdkappid:${SDKAppID}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  const sig = await hmacSha256Base64(secretKey, content);
  const document = JSON.stringify({
    'TLS.ver': '2.0',
    'TLS.identifier': userID,
    'TLS.sdkappid': SDKAppID,
    'TLS.expire': expire,
    'TLS.time': time,
    'TLS.sig': sig,
  });
  const compressed = await zlibDeflate(document);
  const userSig = base64(compressed).replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
  return { SDKAppID, userID, userSig };
}
