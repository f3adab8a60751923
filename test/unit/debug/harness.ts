// Runs the debug adapter in-process on a local socket and connects a DAP test client to it
// (@vscode/debugadapter-testsupport), so tests speak real DAP without spawning VS Code.
import * as net from 'net';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { TdpDebugSession, type SessionDeps } from '../../../src/debug/session';

export interface Adapter {
  dc: DebugClient;
  session: () => TdpDebugSession | undefined;
  /** The thread of the last stop (threads.ts: the kernel context that ran the event). */
  thread(): number;
  close(): Promise<void>;
}

export async function startAdapter(deps: SessionDeps): Promise<Adapter> {
  let session: TdpDebugSession | undefined;
  const server = net.createServer((socket) => {
    session = new TdpDebugSession(deps);
    session.setRunAsServer(true);
    session.start(socket, socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const dc = new DebugClient('node', 'unused', 'tdp-mmu-sim');
  dc.defaultTimeout = 10000;
  await dc.start(port);
  let thread = 1;
  dc.on('stopped', (e: DebugProtocol.StoppedEvent) => { thread = e.body.threadId ?? thread; });
  return {
    dc,
    session: () => session,
    thread: () => thread,
    async close() {
      await dc.stop().catch(() => undefined);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Launch, set breakpoints between `initialized` and configurationDone, and return the first stop. */
export async function launchWith(
  dc: DebugClient,
  args: Record<string, unknown>,
  configure: () => Promise<unknown> = async () => undefined,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    dc.waitForEvent('initialized').then(configure).then(() => dc.configurationDoneRequest()),
    dc.launch(args),
  ]);
  return stopped;
}

/** Run a request that moves the position and return the stop it causes. */
export async function stopAfter(dc: DebugClient, move: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await move();
  return stopped;
}

export async function topFrame(a: Adapter): Promise<DebugProtocol.StackFrame> {
  const st = await a.dc.stackTraceRequest({ threadId: a.thread() });
  return st.body.stackFrames[0];
}

/** Variables of one scope of a frame, by name. */
export async function scopeVars(dc: DebugClient, frameId: number, scope: string): Promise<Map<string, DebugProtocol.Variable>> {
  const scopes = await dc.scopesRequest({ frameId });
  const s = scopes.body.scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope '${scope}' (have: ${scopes.body.scopes.map((x) => x.name).join(', ')})`);
  const vars = await dc.variablesRequest({ variablesReference: s.variablesReference });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}
