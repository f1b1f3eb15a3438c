// Builds the package: ESM + .d.ts (tsc), CommonJS (esbuild bundle + tsc declarations), and the
// browser bundles (esbuild): dist/browser/mynah-chat.js (IIFE, sets window.TencentCloudChat) and
// dist/browser/mynah-chat.esm.js.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.cjs.json')], { stdio: 'inherit' });

const entry = join(root, 'src', 'index.ts');
await esbuild.build({
  entryPoints: [entry],
  outfile: join(dist, 'cjs', 'index.js'),
  bundle: true,
  format: 'cjs',
  platform: 'neutral',
  target: 'es2022',
  external: ['ws'],
  // `require('mynah-chat')` gives the TencentCloudChat namespace itself (like the official UMD
  // build), with the named exports and `default` beside it.
  footer: { js: 'module.exports = Object.assign({}, module.exports, { create: module.exports.default.create });' },
  logLevel: 'warning',
});
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

mkdirSync(join(dist, 'browser'), { recursive: true });
await esbuild.build({
  entryPoints: [entry],
  outfile: join(dist, 'browser', 'mynah-chat.js'),
  bundle: true,
  format: 'iife',
  globalName: 'MynahChat',
  platform: 'browser',
  target: 'es2020',
  external: ['ws'],
  minify: true,
  sourcemap: true,
  footer: { js: 'globalThis.TencentCloudChat = MynahChat.default;' },
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [entry],
  outfile: join(dist, 'browser', 'mynah-chat.esm.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  external: ['ws'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built dist/esm, dist/cjs, dist/browser');
