// `tdp-sim dap` serves the same adapter over stdin/stdout, for DAP clients other than VS Code.
// Runs the real CLI launcher as a child process and talks DAP to it.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { main } from '../../../src/cli/main';

const REPO = path.resolve(__dirname, '../../..');
const BIN = path.join(REPO, 'bin/tdp-sim.js');
const SCENARIO = path.join(REPO, 'scenarios/split-private-2m-rfc.tdpsim.yaml');

describe('tdp-sim dap (stdio)', function () {
  this.timeout(60000);

  it('debugs a scenario over stdin/stdout and exits 0 when the client disconnects', async () => {
    // DebugClient spawns `<runtime> <executable>`: the launcher, with the subcommand.
    const dc = new DebugClient(BIN, 'dap', 'tdp-mmu-sim', { cwd: REPO });
    dc.defaultTimeout = 30000;
    await dc.start();
    try {
      const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await Promise.all([
        dc.waitForEvent('initialized').then(() => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'split_external_spt' }] }))
          .then(() => dc.configurationDoneRequest()),
        dc.launch({ scenario: 'scenarios/split-private-2m-rfc.tdpsim.yaml', cwd: REPO }),
      ]);
      assert.equal((await stopped).body.reason, 'function breakpoint');
      const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      assert.deepEqual(frames.slice(0, 2).map((f) => f.name), ['tdp_mmu_set_spte', 'tdp_mmu_iter_set_spte']);
      assert.equal(frames[frames.length - 1].source?.path, SCENARIO);
    } finally {
      await dc.stop();
    }
  });

  it('refuses arguments and prints its usage', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: REPO, env: {} };
    assert.equal(await main(['dap', 'extra'], io), 2);
    assert.match(err.join(''), /tdp-sim dap: unexpected argument 'extra'/);
    assert.equal(await main(['dap', '--help'], io), 0);
    assert.match(out.join(''), /^usage: tdp-sim dap/);
  });

  it('answers a malformed launch with an error response naming the problem', async () => {
    const child = spawn(BIN, ['dap'], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    const send = (seq: number, command: string, args: unknown): void => {
      const body = JSON.stringify({ seq, type: 'request', command, arguments: args });
      child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    let buf = '';
    const launchResponse = new Promise<{ success: boolean; message?: string; body?: { error?: { format: string } } }>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /Content-Length: \d+\r\n\r\n(\{[^\r]*"command":"launch"[^\r]*\})/.exec(buf);
        if (m) resolve(JSON.parse(m[1].slice(0, m[1].lastIndexOf('}') + 1)));
      });
    });
    send(1, 'initialize', { adapterID: 'tdp-mmu-sim' });
    send(2, 'launch', { scenario: '' });
    const r = await launchResponse;
    assert.equal(r.success, false);
    assert.match(r.body?.error?.format ?? r.message ?? '', /'scenario' must name a \*\.tdpsim\.yaml scenario or an ftrace file/);
    send(3, 'disconnect', {});
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
  });
});
