// A code-server (VS Code 1.139 in the browser, Node extension host) on a free 127.0.0.1 port with
// fresh user-data and extensions folders; see test/e2e/README.md.
import { ChildProcess, execFile } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { CODE_SERVER, NODE24_BIN } from './paths';
import { spawnGroup, stopGroup } from './processes';

/** Workbench settings that keep tests quiet and deterministic. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.hover.delay': 100,
  // Run folders live inside the repo: no "open the parent repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
};

export interface CodeServerOptions {
  /** Folder, or .code-workspace file, to open. */
  workspace: string;
  /** Holds user-data/, extensions/ and server.log. */
  dir: string;
  /** Merged over QUIET_SETTINGS into the user settings.json. */
  userSettings?: Record<string, unknown>;
  /** Leave an existing user settings.json as it is (a user's own state, for `npm start`). */
  keepUserSettings?: boolean;
  /** A .vsix to install before the server starts. */
  vsix?: string;
  /** Lets the workbench URL carry extensionDevelopmentPath/extensionTestsPath (extension-host tests). */
  smokeTestDriver?: boolean;
  /** Keep workspace trust on (default off: every folder is trusted). */
  workspaceTrust?: boolean;
  /** Fixed port (default: a free one). */
  port?: number;
  env?: NodeJS.ProcessEnv;
}

export interface CodeServer {
  /** Resolves with the exit code when the server stops (for whatever reason). */
  exited: Promise<number | null>;
  /** host:port, which is also the remote authority of vscode-remote:// URIs. */
  authority: string;
  /** The workbench URL opening the workspace; `query` adds parameters (e.g. payload). */
  url(query?: Record<string, string>): string;
  userDataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

function nodeEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, PATH: `${NODE24_BIN}:${process.env.PATH}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Installs a .vsix into an extensions folder (replacing an older copy). */
export async function installVsix(vsix: string, extensionsDir: string, userDataDir: string): Promise<void> {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first`);
  const { stdout, stderr } = await run(CODE_SERVER, [
    '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force',
  ], { env: nodeEnv() }).catch((e) => { throw new Error(`installing ${vsix} failed:\n${e.stdout}${e.stderr}`); });
  if (!/successfully installed/i.test(stdout + stderr)) throw new Error(`installing ${vsix}:\n${stdout}${stderr}`);
}

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  if (!fs.existsSync(CODE_SERVER)) throw new Error(`${CODE_SERVER} is missing: run bash test/e2e/setup.sh`);
  const userDataDir = path.join(o.dir, 'user-data');
  const extensionsDir = path.join(o.dir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (!(o.keepUserSettings && fs.existsSync(path.join(userDataDir, 'User', 'settings.json')))) {
    writeUserSettings(userDataDir, { ...QUIET_SETTINGS, ...o.userSettings });
  }
  if (o.vsix) await installVsix(o.vsix, extensionsDir, userDataDir);

  const port = o.port ?? await freePort();
  const authority = `127.0.0.1:${port}`;
  const logFile = path.join(o.dir, 'server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [
    '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--bind-addr', authority, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    ...(o.workspaceTrust ? [] : ['--disable-workspace-trust']),
    ...(o.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    o.workspace,
  ];
  const child = spawnGroup(CODE_SERVER, args, { env: nodeEnv(o.env), stdio: ['ignore', log, log] });
  fs.closeSync(log);
  await waitHealthy(child, authority, logFile);

  const isWorkspaceFile = o.workspace.endsWith('.code-workspace');
  return {
    exited: new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    }),
    authority,
    userDataDir,
    logFile,
    url: (query = {}) => {
      const q = new URLSearchParams({ [isWorkspaceFile ? 'workspace' : 'folder']: o.workspace, ...query });
      return `http://${authority}/?${q}`;
    },
    stop: () => stopGroup(child),
  };
}

async function waitHealthy(child: ChildProcess, authority: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${tail(logFile)}`);
    try {
      const res = await fetch(`http://${authority}/healthz`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopGroup(child);
  throw new Error(`code-server did not answer on ${authority} within 60 s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n'); } catch { return '(no log)'; }
}
