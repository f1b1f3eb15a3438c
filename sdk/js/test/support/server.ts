/**
 * Starts the server the suites talk to: the built `mynah` binary (`MYNAH_BIN`, default
 * `../../target/debug/mynah`), started as `mynah serve --listen 127.0.0.1:0 --data <tmp> --app
 * 1400000001:<key>` and ready once it prints `mynah listening on <addr>`.
 *
 * `MYNAH_TEST_SERVER` chooses: `real` (the binary; fail when missing), `fake` (the in-test fake
 * server, `fake-mynah.ts`), or `auto` (default: the binary when it exists, otherwise the fake with a
 * loud notice). Suites that need the real server skip test by test (so every skip is counted), and
 * `npm test` lists the skips at the end.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '..', '..');

/** The test app. */
export const SDK_APP_ID = 1400000001;
/** The test app's secret key. */
export const SECRET_KEY = 'mynah-js-sdk-test-secret-key-0123456789';

/** Which server the suites run against. */
export function serverKind(): 'real' | 'fake' {
  const choice = process.env.MYNAH_TEST_SERVER ?? 'auto';
  const binary = binaryPath();
  if (choice === 'fake') return 'fake';
  if (choice === 'real') {
    if (!existsSync(binary)) throw new Error(`MYNAH_TEST_SERVER=real but ${binary} does not exist (build it: cargo build -p mynah-server)`);
    return 'real';
  }
  return existsSync(binary) ? 'real' : 'fake';
}

let noticePrinted = false;

function binaryPath(): string {
  return resolve(packageRoot, process.env.MYNAH_BIN ?? '../../target/debug/mynah');
}

/** A running server. */
export interface TestServer {
  kind: 'real' | 'fake';
  /** `http://127.0.0.1:PORT`, for `proxyServer`. */
  url: string;
  dataDir: string;
  /** Stops the process (SIGTERM by default; SIGKILL for crash tests) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  dispose(): Promise<void>;
}

/** Mynah-only start options for suites that need server configuration. */
export interface StartOptions {
  /** A `mynah.toml` to start with; it must declare the test app (`SDK_APP_ID`, `SECRET_KEY`). */
  config?: string;
}

function launch(kind: 'real' | 'fake', listen: string, dataDir: string, options: StartOptions = {}): Promise<{ child: ChildProcess; address: string }> {
  const appArgs = options.config ? ['--config', options.config] : ['--app', `${SDK_APP_ID}:${SECRET_KEY}`];
  const serverArgs = ['serve', '--listen', listen, '--data', dataDir, ...appArgs];
  // The server warns about MYNAH_* variables it does not know; the suites' own are not for it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MYNAH_TEST_')));
  const child =
    kind === 'real'
      ? spawn(binaryPath(), serverArgs, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(process.execPath, ['--import', 'tsx', join(here, 'fake-mynah.ts'), ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe'], cwd: packageRoot });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 30 s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, address: match[1]! });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (process.env.MYNAH_TEST_SERVER_LOG) process.stderr.write(chunk);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

/** Starts a server with a fresh data directory. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const kind = serverKind();
  if (kind === 'fake' && !noticePrinted) {
    noticePrinted = true;
    // Loud on purpose: a run against the stand-in skips the REST, webhook and fault suites.
    console.log(`# ${'!'.repeat(100)}\n# STAND-IN: ${binaryPath()} not found (or MYNAH_TEST_SERVER=fake): this file runs against the TypeScript FAKE server\n# ${'!'.repeat(100)}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mynah-js-'));
  let { child, address } = await launch(kind, '127.0.0.1:0', dataDir, options);
  const server: TestServer = {
    kind,
    url: `http://${address}`,
    dataDir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const exited = waitExit(child);
      child.kill(signal);
      await exited;
    },
    async restart() {
      ({ child, address } = await launch(kind, address, dataDir, options));
    },
    async dispose() {
      await server.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
