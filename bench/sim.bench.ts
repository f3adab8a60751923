// Simulator throughput: fault in and tear down a 4 GiB TD at 4K (1M mirror SPTEs plus their
// S-EPT entries) with full event recording, then step randomly through the recording.
import * as os from 'os';
import type { BenchReport } from './run';
import { simulate } from '../src/sim/simulate';
import type { Scenario, ScenarioStep } from '../src/sim/scenario-types';

const PAGES = (4 * 2 ** 30) / 4096;

function scenario(): Scenario {
  const steps: ScenarioStep[] = [];
  for (let gfn = 0; gfn < PAGES; gfn++) steps.push({ op: 'fault', gfn, private: true, write: true, max_level: 1, vcpu: 0 });
  steps.push({ op: 'teardown' });
  return { name: '4 GiB TD at 4K', profile: 'mainline', vm: { type: 'tdx', pages: PAGES, paging_levels: 4, vcpus: 1 }, steps };
}

const mb = (n: number): number => n / (1 << 20);

export default async (report: BenchReport): Promise<void> => {
  const sc = scenario();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rec = simulate(sc);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  // V8 hands freed heap pages back to the OS lazily (a later GC, a background task): measure
  // what the recording keeps once that has happened, and show the peak beside it.
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
  const after = process.memoryUsage();
  report.note(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
  report.note(`${rec.length.toLocaleString('en-US')} events, ${sc.steps.length.toLocaleString('en-US')} steps${gc ? '' : ' (run node with --expose-gc for exact heap numbers)'}`);
  report.metric('4 GiB TD fault-in + teardown', (t1 - t0) / 1000, 's', 2);
  // On a shared machine wall time includes waiting for a CPU; CPU time (GC threads included) does not.
  report.metric('  CPU time of that run', (cpu.user + cpu.system) / 1e6, 's');
  report.metric('events per second', rec.length / ((t1 - t0) / 1000) / 1e6, 'M/s');
  report.metric('heap used by the recording', mb(after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers), 'MB', 500);
  report.metric('RSS after simulation (settled)', mb(after.rss), 'MB', 500);
  report.metric('peak RSS during simulation', mb(peakRss), 'MB');

  // Random stepping: stateAt + event at random positions, both directions.
  let x = 0x2545f491;
  const rnd = (n: number): number => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) % n;
  };
  const times: number[] = [];
  for (let i = 0; i < 400; i++) {
    const seq = rnd(rec.length);
    const a = performance.now();
    const st = rec.stateAt(seq);
    const ev = rec.event(seq);
    st.walk('mirror', ev.gfn ?? 0);
    st.walk('sept', ev.gfn ?? 0);
    st.leafCounts('mirror');
    times.push(performance.now() - a);
  }
  times.sort((a, b) => a - b);
  report.metric('random step p50 (stateAt + event + walks)', times[Math.floor(times.length / 2)], 'ms', 16);
  report.metric('random step p99', times[Math.floor(times.length * 0.99)], 'ms', 16);
};
