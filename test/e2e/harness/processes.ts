// Child processes of the harness each run in their own process group, so stopping one also
// stops what it started (code-server's extension hosts, Chromium's helpers). Every group still
// alive when the harness exits, however it exits, is killed.
import { ChildProcess, spawn, SpawnOptions } from 'child_process';

const live = new Set<ChildProcess>();
let stopping = false;

/** True once the harness got a signal and is stopping its children on purpose. */
export function shuttingDown(): boolean {
  return stopping;
}

export function spawnGroup(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, { ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM to the group, SIGKILL after `graceMs` if it is still there. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signalGroup(child, 'SIGKILL'); // helpers that outlived the leader
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try { process.kill(-child.pid!, signal); } catch { /* already gone */ }
}

process.once('exit', () => { for (const c of live) signalGroup(c, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    stopping = true;
    // Let each group shut down (code-server saves state), bounded; then leave.
    void Promise.all([...live].map((c) => stopGroup(c, 3000))).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}
