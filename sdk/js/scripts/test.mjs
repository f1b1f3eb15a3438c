// `npm test`: builds when the build is missing or older than the sources, type-checks (including
// the type-level conformance test against @tencentcloud/chat), then runs every test/*.test.ts with
// node:test through tsx. Exits non-zero on any failure.
//
// The server the suites talk to is chosen as in `test/support/server.ts`: `MYNAH_TEST_SERVER=real`
// (what `scripts/test` and CI set) fails here at once when the binary is missing; `auto` (the
// default) falls back to the TypeScript stand-in, and then a banner says so before and after the
// run. Every skipped test or suite is counted and listed at the end, so a skip never passes for a
// pass.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args, label) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed`);
    process.exit(result.status ?? 1);
  }
};
const banner = (lines) => {
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  console.log(['', '#'.repeat(width), ...lines.map((line) => `# ${line.padEnd(width - 4)} #`), '#'.repeat(width), ''].join('\n'));
};

const choice = process.env.MYNAH_TEST_SERVER ?? 'auto';
const binary = resolve(root, process.env.MYNAH_BIN ?? '../../target/debug/mynah');
if (choice === 'real' && !existsSync(binary)) {
  console.error(`MYNAH_TEST_SERVER=real but ${binary} does not exist: build it (cargo build --bin mynah) or set MYNAH_BIN`);
  process.exit(1);
}
const standIn = choice === 'fake' || (choice !== 'real' && !existsSync(binary));
const standInBanner = [
  'RUNNING AGAINST THE TYPESCRIPT STAND-IN (test/support/fake-mynah.ts), NOT THE SERVER.',
  choice === 'fake' ? 'MYNAH_TEST_SERVER=fake was set.' : `${binary} does not exist.`,
  'The REST, webhook and fault suites are skipped. Use MYNAH_TEST_SERVER=real for a real run.',
];
if (standIn) banner(standInBanner);

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
const skipsDir = mkdtempSync(join(tmpdir(), 'mynah-js-skips-'));
const skipsFile = join(skipsDir, 'skips.jsonl');
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'skip-reporter.mjs')}`,
  `--test-reporter-destination=${skipsFile}`,
];
const tests = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=180000', ...reporters, ...process.argv.slice(2), ...files], {
  cwd: root,
  stdio: 'inherit',
});

const skips = existsSync(skipsFile)
  ? readFileSync(skipsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
  : [];
rmSync(skipsDir, { recursive: true, force: true });
if (skips.length > 0) {
  const count = (kind) => skips.filter((skip) => skip.kind === kind).length;
  banner([
    `SKIPPED: ${count('test')} tests and ${count('suite')} suites did not run.`,
    ...skips.map((skip) => `${skip.kind} "${skip.name}" (${skip.file ? skip.file.slice(root.length + 1) : '?'}): ${skip.reason}`),
  ]);
}
if (standIn) banner(standInBanner);
if (tests.status !== 0) {
  console.error('tests failed');
  process.exit(tests.status ?? 1);
}
