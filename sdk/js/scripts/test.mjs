// `npm test`: builds when the build is missing or older than the sources, type-checks (including
// the type-level conformance test against @tencentcloud/chat), then runs every test/*.test.ts with
// node:test through tsx. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args, label) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed`);
    process.exit(result.status ?? 1);
  }
};

const newestSource = Math.max(
  ...readdirSync(join(root, 'src')).map((file) => statSync(join(root, 'src', file)).mtimeMs),
  statSync(join(root, 'scripts', 'build.mjs')).mtimeMs,
);
const builtEntry = join(root, 'dist', 'browser', 'mynah-chat.js');
if (!existsSync(builtEntry) || statSync(builtEntry).mtimeMs < newestSource) run([join(root, 'scripts', 'build.mjs')], 'build');

run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'], 'typecheck');

const files = readdirSync(join(root, 'test'))
  .filter((file) => file.endsWith('.test.ts'))
  .sort()
  .map((file) => join('test', file));
run(['--import', 'tsx', '--test', '--test-timeout=180000', ...process.argv.slice(2), ...files], 'tests');
