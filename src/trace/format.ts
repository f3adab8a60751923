// Print trace records as the kernel (kernel/trace/trace_output.c: trace_print_context) or
// `trace-cmd report` (tracecmd/trace-read.c: print_event) would. Used by the exporter and by
// the tests, which check parse(format(x)) == x.
import type { TraceRecord } from './tracepoints';
import { formatFields } from './tracepoints';

export type TraceStyle = 'ftrace' | 'trace-cmd';

/** "%5lu.%06lu": whole seconds padded to 5, microseconds to 6 digits. */
export function formatTimestamp(time: number): string {
  return time.toFixed(6).padStart(12);
}

/** One event line, without the newline. */
export function formatTraceLine(r: TraceRecord, style: TraceStyle = 'ftrace'): string {
  const fields = formatFields(r);
  if (style === 'trace-cmd') {
    // "%16s-%-5d [%03d]" then " %6.1000d:" then " %s: " padded so names line up at 20 columns.
    const pad = r.event.length < 20 ? ' '.repeat(20 - r.event.length) : '';
    return `${r.task.padStart(16)}-${String(r.pid).padEnd(5)} [${String(r.cpu).padStart(3, '0')}] ${r.time.toFixed(6)}: ${r.event}: ${pad}${fields}`;
  }
  // "%16s-%-7d " [ "(%7d) " ] "[%03d] " [flags " "] "%5lu.%06lu: " then "<event>: <fields>".
  const tgid = r.tgid === null ? '' : `(${String(r.tgid).padStart(7)}) `;
  const flags = r.flags === null ? '' : `${r.flags} `;
  return `${r.task.padStart(16)}-${String(r.pid).padEnd(7)} ${tgid}[${String(r.cpu).padStart(3, '0')}] ${flags}${formatTimestamp(r.time)}: ${r.event}: ${fields}`;
}

/** The header `cat /sys/kernel/tracing/trace` prints before the events (irq-info layout). */
export function ftraceHeader(entries: number, cpus: number): string {
  return [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${entries}/${entries}   #P:${cpus}`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
  ].join('\n');
}

/** The lines `trace-cmd report` prints before the events. */
export function traceCmdHeader(cpus: number, emptyCpus: readonly number[] = []): string {
  return ['version = 6', ...emptyCpus.map((c) => `CPU ${c} is empty`), `cpus=${cpus}`].join('\n');
}
