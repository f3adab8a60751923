// The Debug Adapter for the simulated kernel: a recording (a simulated scenario or a replayed
// trace) is "executed" by moving a position through its events. Breakpoints, stepping by the
// modelled call stack, reverse execution and variables are all reads of the recording, so going
// back restores the full simulated state exactly. Runs inline in VS Code (src/extension/debug/)
// and over stdio (`tdp-sim dap`). No `vscode` import here.
import * as path from 'path';
import {
  Breakpoint, BreakpointEvent, InitializedEvent, LoggingDebugSession, OutputEvent, Scope as DapScope,
  Source, StackFrame, StoppedEvent, TerminatedEvent, Thread, Event, Handles, Response,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ProfileName, Recording, SimEvent } from '../sim/types';
import { PROFILE_NAMES } from '../sim/types';
import { seek, step, stepOut, stepOver, type Direction } from '../sim/navigate';
import { TDP_POSITION_EVENT, TDP_SEEK_REQUEST, type TdpPositionBody } from './bridge';
import { BreakpointSet, EXCEPTION_FILTERS, type BreakpointStatus, type Hit } from './breakpoints';
import { compile, Fields, type Env } from './expr';
import { framesOf, listingText, symbolicListing, type Frame } from './frames';
import { KernelThreads } from './threads';
import { noTreeLocator, type AnchorLocator } from './locator';
import { entryKey, eventEnv, parseEntryKey, type EntryRef, type RecordLines, type ValueContext, type VmType } from './values';
import { scopesOf, valueNode, type VarNode } from './variables';

/** Launch attributes (package.json contributes.debuggers[tdp-mmu-sim]). */
export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** A *.tdpsim.yaml scenario, or an ftrace text file to replay. */
  scenario: string;
  profile?: ProfileName;
  kernelTree?: string;
  stopOnEntry?: boolean;
  /** Stop the simulation (or the trace replay) after this many events (tdpMmuSim.maxEvents). */
  maxEvents?: number;
  /** A trace of several address spaces: which to replay ("vm/as1", "tgid:42"); default the one
   *  with the most events. */
  addressSpace?: string;
  /** A trace: 'tgid' makes each TGID a VM (src/trace/replay.ts); default 'single'. */
  vmIdentity?: 'single' | 'tgid';
  /** Base for a relative `scenario` / `kernelTree` (defaults to the adapter's cwd). */
  cwd?: string;
}

export interface LoadedRecording {
  recording: Recording;
  vm: VmType;
  /** A replayed trace: where each event's record is (frames and breakpoints in the trace file). */
  records?: RecordLines;
  /** Messages to show in the debug console (trace lines skipped, ...). */
  notes?: string[];
  /** A scenario's vCPU count: one debug thread per vCPU plus the VM-wide context (threads.ts). */
  vcpus?: number;
}

/** How to load a recording: the launch attributes that shape it. */
export type LoadOptions = Pick<LaunchArguments, 'profile' | 'maxEvents' | 'addressSpace' | 'vmIdentity' | 'cwd'>;

/** What the adapter needs from the rest of the product; src/debug/launch.ts wires the real ones. */
export interface SessionDeps {
  /** Simulate the scenario or import the trace (at most about maxEvents events). Throws an Error
   *  whose message names file and line. */
  load(scenario: string, opts: LoadOptions): Promise<LoadedRecording>;
  /** The anchor locator for a kernel tree. Throws when the tree is unusable. */
  locator(tree: string, profile: ProfileName): Promise<AnchorLocator>;
  /** The kernel tree a C file belongs to (from its arch/x86/kvm/ path), if it looks like one. */
  treeOfFile(file: string): string | undefined;
  /** Default kernel tree when the launch names none (e.g. TDP_KERNEL_TREE). */
  defaultTree?: string;
  /** Events checked between yields while running (default RUN_SLICE): smaller answers pause
   *  sooner, larger runs faster. */
  runSlice?: number;
}

/** Frame ids of threads other than the stopped one: THREAD_FRAMES * thread id + index. */
const THREAD_FRAMES = 10000;
/** Events checked between yields while running, so that pause and other requests get through. */
const RUN_SLICE = 20000;

type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception' | 'pause' | 'goto' | 'end' | 'start';

export class TdpDebugSession extends LoggingDebugSession {
  private rec?: Recording;
  private ctx?: ValueContext;
  private bps?: BreakpointSet;
  private launchArgs?: LaunchArguments;
  private locator: AnchorLocator = noTreeLocator();
  private pos = 0;
  private lastHit?: Hit;
  private pauseRequested = false;
  /** Bumped by every run, seek and restart: a run whose generation is no longer current ends
   *  silently at its next yield (the position was moved under it). */
  private runGeneration = 0;
  /** The generation of the run in progress, if one is. */
  private activeRun: number | null = null;
  private configured!: Promise<void>;
  private configurationDone!: () => void;
  private frames: Frame[] = [];
  private threads = new KernelThreads('simulated kernel');
  /** The thread that ran the current event. */
  private thread = 1;
  /** Frames of the other threads that a client asked for since the last stop, by frame id. */
  private otherFrames = new Map<number, Frame>();
  /** The call the top frame is making at the current event, if it is not entered yet. */
  private calling?: SimEvent;
  private readonly vars = new Handles<() => VarNode[]>();
  private readonly sourceRefs = new Map<string, number>();
  private readonly sourceDocs = new Map<number, string>();

  constructor(private readonly deps: SessionDeps) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((r) => { this.configurationDone = r; });
  }

  /** The recording being debugged (for the extension's stepper bridge), once launched. */
  get recording(): Recording | undefined {
    return this.rec;
  }

  /** The current position (event seq). */
  get position(): number {
    return this.pos;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /** A request that throws gets an error response instead of taking the adapter (and, inline,
   *  a corner of the extension host) down. The async handlers catch their own errors (guard). */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    try {
      super.dispatchRequest(request);
    } catch (e) {
      this.internalError(new Response(request), request.command, e);
    }
  }

  private internalError(response: DebugProtocol.Response, command: string, e: unknown): void {
    this.sendErrorResponse(response, { id: 1099, format: `${command}: internal error: ${e instanceof Error ? e.message : String(e)}`, showUser: true });
  }

  /** Runs an async request handler, answering with an error if it throws. */
  private async guard(response: DebugProtocol.Response, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (e) {
      this.internalError(response, response.command, e);
    }
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsStepBack: true,
      supportsRestartRequest: true,
      supportsDataBreakpoints: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: false,
      supportsValueFormattingOptions: false,
      supportsSingleThreadExecutionRequests: false,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configurationDone();
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    return this.guard(response, () => this.launch(response, args));
  }

  private async launch(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    try {
      await this.load(args);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1001, format: (e as Error).message, showUser: true });
      return;
    }
    this.sendEvent(new InitializedEvent());
    // Breakpoints arrive between initialized and configurationDone; clients that never send
    // configurationDone still get going after a second.
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, 1000))]);
    this.sendResponse(response);
    this.begin(args.stopOnEntry === true);
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    return this.guard(response, () => this.restart(response, args));
  }

  private async restart(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments | undefined): Promise<void> {
    const launch = (args?.arguments as LaunchArguments | undefined) ?? this.launchArgs;
    if (!launch) { this.sendErrorResponse(response, { id: 1002, format: 'restart before launch' }); return; }
    this.runGeneration++;
    this.activeRun = null;
    try {
      await this.load(launch);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1001, format: (e as Error).message, showUser: true });
      return;
    }
    for (const s of this.bps!.statuses()) this.sendEvent(new BreakpointEvent('changed', this.toDapBreakpoint(s)));
    this.sendResponse(response);
    this.begin(launch.stopOnEntry === true);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
    this.shutdown();
  }

  /** The library would process.exit() here when serving stdio; whoever started the session
   *  (the `tdp-sim dap` command) listens for 'shutdown' and decides instead. */
  override shutdown(): void {
    this.emit('shutdown');
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  /** Load (or reload) the recording and kernel tree named by the launch arguments. */
  private async load(args: LaunchArguments): Promise<void> {
    if (typeof args.scenario !== 'string' || args.scenario.trim() === '') {
      throw new Error("launch: 'scenario' must name a *.tdpsim.yaml scenario or an ftrace file");
    }
    if (args.profile !== undefined && !PROFILE_NAMES.includes(args.profile)) {
      throw new Error(`launch: profile '${String(args.profile)}' is not one of ${PROFILE_NAMES.join(', ')}`);
    }
    if (args.maxEvents !== undefined && !(Number.isSafeInteger(args.maxEvents) && args.maxEvents >= 1)) {
      throw new Error(`launch: 'maxEvents' must be a positive integer (got ${JSON.stringify(args.maxEvents)})`);
    }
    if (args.addressSpace !== undefined && (typeof args.addressSpace !== 'string' || args.addressSpace === '')) {
      throw new Error(`launch: 'addressSpace' must name an address space of the trace, e.g. "vm/as1" (got ${JSON.stringify(args.addressSpace)})`);
    }
    if (args.vmIdentity !== undefined && args.vmIdentity !== 'single' && args.vmIdentity !== 'tgid') {
      throw new Error(`launch: 'vmIdentity' must be "single" or "tgid" (got ${JSON.stringify(args.vmIdentity)})`);
    }
    const base = args.cwd ?? process.cwd();
    const scenario = path.resolve(base, args.scenario);
    const loaded = await this.deps.load(scenario, { profile: args.profile, maxEvents: args.maxEvents, addressSpace: args.addressSpace, vmIdentity: args.vmIdentity });
    if (loaded.recording.length === 0) throw new Error(`${scenario}: the simulation produced no events`);
    this.launchArgs = args;
    this.rec = loaded.recording;
    this.ctx = { rec: loaded.recording, vm: loaded.vm, records: loaded.records };
    this.threads = new KernelThreads(loaded.recording.name, loaded.vcpus);
    for (const n of loaded.notes ?? []) this.console(n);
    const tree = args.kernelTree ? path.resolve(base, args.kernelTree) : this.deps.defaultTree;
    this.locator = noTreeLocator();
    if (tree) await this.useTree(tree);
    if (this.bps) this.bps.rebind(this.ctx, this.locator);
    else this.bps = new BreakpointSet(this.ctx, this.locator);
    this.sourceRefs.clear();
    this.sourceDocs.clear();
    this.pos = 0;
    this.console(`${loaded.recording.name}: ${loaded.recording.length} events, profile ${loaded.recording.profile}${this.locator.tree ? `, kernel tree ${this.locator.tree}` : ', no kernel tree (symbolic locations)'}`);
  }

  private async useTree(tree: string): Promise<void> {
    try {
      this.locator = await this.deps.locator(tree, this.rec!.profile);
    } catch (e) {
      this.locator = noTreeLocator(`kernel tree ${tree} cannot be used: ${(e as Error).message}`);
      this.console(`kernel tree ${tree} cannot be used: ${(e as Error).message}; showing symbolic locations`, 'stderr');
    }
  }

  private begin(stopOnEntry: boolean): void {
    this.pos = 0;
    if (stopOnEntry) { this.stopAt(0, 'entry', 'Start of the simulation'); return; }
    // Without stopOnEntry the first event is checked like any other.
    const hit = this.bps!.check(this.rec!.event(0));
    if (hit) this.emitLogs(hit);
    if (hit?.description) { this.stopOnHit(0, hit); return; }
    void this.run('forward');
  }

  // ---- configuration requests ---------------------------------------------------------------------

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    return this.guard(response, () => this.setBreakpoints(response, args));
  }

  private async setBreakpoints(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    const file = args.source.path;
    if (!this.bps || !file) {
      response.body = { breakpoints: (args.breakpoints ?? []).map((b) => ({ verified: false, line: b.line, message: file ? 'not launched yet' : 'breakpoints need a file on disk' })) };
      this.sendResponse(response);
      return;
    }
    // No tree yet, and this looks like a kernel file: its tree is the one to link to.
    if (!this.locator.tree) {
      const tree = this.deps.treeOfFile(file);
      if (tree) {
        await this.useTree(tree);
        this.bps.rebind(this.ctx!, this.locator);
        if (this.locator.tree) this.console(`kernel tree ${this.locator.tree} (from the breakpoint in ${path.basename(file)})`);
      }
    }
    const statuses = this.bps.setLineBreakpoints(file, (args.breakpoints ?? []).map((b) => ({
      line: this.convertClientLineToDebugger(b.line), condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage,
    })));
    response.body = { breakpoints: statuses.map((s) => this.toDapBreakpoint(s, file)) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    if (!this.bps) { this.sendErrorResponse(response, { id: 1003, format: 'not launched yet' }); return; }
    response.body = { breakpoints: this.bps.setFunctionBreakpoints(args.breakpoints).map((s) => this.toDapBreakpoint(s)) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.bps?.setExceptionFilters(args.filters);
    response.body = { breakpoints: args.filters.map(() => ({ verified: this.bps !== undefined })) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const none = (why: string): void => { response.body = { dataId: null, description: why }; this.sendResponse(response); };
    if (!this.ctx) return none('not launched yet');
    let entry: EntryRef | undefined;
    if (args.variablesReference !== undefined && args.variablesReference !== 0) {
      const rows = this.vars.get(args.variablesReference)?.() ?? [];
      entry = rows.find((r) => r.name === args.name)?.entry;
    } else {
      // `name` is an expression, e.g. spte(mirror, 0x200, 2) or new_spte.
      try {
        const v = compile(args.name).evaluate(this.envFor(args.frameId, { absentEntries: true }));
        entry = v instanceof Fields && 'entry' in v ? (v as Fields & { entry?: EntryRef }).entry : undefined;
      } catch (e) {
        return none((e as Error).message);
      }
    }
    if (!entry) return none(`${args.name} is not a page-table entry (watch an SPTE such as old_spte, sptep, or spte(mirror, gfn, level))`);
    response.body = { dataId: entryKey(entry), description: `${args.name}: ${entryKey(entry)}`, accessTypes: ['write'], canPersist: true };
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    if (!this.bps) { this.sendErrorResponse(response, { id: 1003, format: 'not launched yet' }); return; }
    const parsed = args.breakpoints.map((d) => ({ d, entry: parseEntryKey(d.dataId) }));
    const set = this.bps.setDataBreakpoints(parsed.flatMap(({ d, entry }) => (entry ? [{ entry, condition: d.condition, hitCondition: d.hitCondition }] : [])));
    let k = 0;
    const statuses: BreakpointStatus[] = parsed.map(({ d, entry }) => (entry ? set[k++]
      : { id: 0, verified: false, message: `'${d.dataId}' is not a data breakpoint id of this adapter (expected <table>:0x<gfn>:<level>)` }));
    response.body = { breakpoints: statuses.map((s) => this.toDapBreakpoint(s)) };
    this.sendResponse(response);
  }

  private toDapBreakpoint(s: BreakpointStatus, file?: string): DebugProtocol.Breakpoint {
    const bp: DebugProtocol.Breakpoint = new Breakpoint(s.verified, s.line === undefined ? undefined : this.convertDebuggerLineToClient(s.line));
    if (s.id) bp.id = s.id;
    if (s.message) bp.message = s.message;
    if (s.reason) bp.reason = s.reason;
    if (file) bp.source = new Source(path.basename(file), this.convertDebuggerPathToClient(file));
    return bp;
  }

  // ---- execution control ----------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.threads.list.map((t) => new Thread(t.id, t.name)) };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.run('forward');
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.sendResponse(response);
    void this.run('backward');
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    if (this.activeRun !== null) this.pauseRequested = true;
    else if (this.rec) this.stopAt(this.pos, 'pause');
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.sendResponse(response);
    this.stepTo(args.granularity === 'instruction' ? step(this.rec!, this.pos) : stepOver(this.rec!, this.pos), 'forward');
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.sendResponse(response);
    this.stepTo(step(this.rec!, this.pos), 'forward');
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    this.stepTo(stepOut(this.rec!, this.pos), 'forward');
  }

  /** The reverse of `next`: back over the previous callee to the previous sibling, or into the caller. */
  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.sendResponse(response);
    this.stepTo(args.granularity === 'instruction' ? step(this.rec!, this.pos, 'backward') : stepOver(this.rec!, this.pos, 'backward'), 'backward');
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command !== TDP_SEEK_REQUEST) { super.customRequest(command, response, args); return; }
    const seq = (args as { seq?: unknown } | undefined)?.seq;
    if (!this.rec) { this.sendErrorResponse(response, { id: 1003, format: 'not launched yet' }); return; }
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      this.sendErrorResponse(response, { id: 1004, format: `${TDP_SEEK_REQUEST}: 'seq' must be an integer event number` });
      return;
    }
    const to = seek(this.rec, seq)!;
    this.runGeneration++;
    this.activeRun = null;
    response.body = { seq: to };
    this.sendResponse(response);
    this.stopAt(to, 'goto', `Moved to event #${to}`);
  }

  /**
   * Move to `target` (null: nowhere to go, stay). Like a debugger's step over, a breakpoint or
   * exception met on the way stops there first.
   */
  private stepTo(target: number | null, dir: Direction): void {
    if (this.activeRun !== null) return;
    if (target === null) {
      this.stopAt(this.pos, dir === 'forward' ? 'end' : 'start', dir === 'forward' ? 'End of the simulation' : 'Start of the simulation');
      return;
    }
    const delta = dir === 'forward' ? 1 : -1;
    for (let s = this.pos + delta; s !== target; s += delta) {
      const hit = this.bps!.check(this.rec!.event(s));
      if (hit) this.emitLogs(hit);
      if (hit?.description) { this.stopOnHit(s, hit); return; }
    }
    const hit = this.bps!.check(this.rec!.event(target));
    if (hit) this.emitLogs(hit);
    if (hit?.description) this.stopOnHit(target, hit);
    else this.stopAt(target, 'step');
  }

  /** Run forward or backward until something stops us: a breakpoint, an exception, pause, or an end. */
  private async run(dir: Direction): Promise<void> {
    if (!this.rec) return;
    const rec = this.rec;
    const generation = ++this.runGeneration;
    this.activeRun = generation;
    this.pauseRequested = false;
    try {
      let s = this.pos;
      for (;;) {
        for (let n = 0, slice = this.deps.runSlice ?? RUN_SLICE; n < slice; n++) {
          const next = step(rec, s, dir);
          if (next === null) {
            this.stopAt(s, dir === 'forward' ? 'end' : 'start', dir === 'forward'
              ? `End of the simulation (${rec.length} events): step back or reverse-continue to go back`
              : 'Start of the simulation');
            return;
          }
          s = next;
          const hit = this.bps!.check(rec.event(s));
          if (hit) this.emitLogs(hit);
          if (hit?.description) { this.stopOnHit(s, hit); return; }
        }
        await new Promise((r) => setImmediate(r));
        if (this.runGeneration !== generation) return; // a seek or restart took over
        if (this.pauseRequested) { this.stopAt(s, 'pause'); return; }
      }
    } finally {
      if (this.activeRun === generation) this.activeRun = null;
    }
  }

  private emitLogs(hit: Hit): void {
    for (const l of hit.logs) this.console(l);
  }

  private stopOnHit(seq: number, hit: Hit): void {
    this.lastHit = hit;
    this.stopAt(seq, hit.reason, hit.description, hit.ids, hit.exception?.message);
  }

  private stopAt(seq: number, reason: StopReason, description?: string, hitIds?: number[], text?: string): void {
    this.pos = seq;
    if (reason !== 'exception' && reason !== 'breakpoint' && reason !== 'function breakpoint' && reason !== 'data breakpoint') this.lastHit = undefined;
    this.vars.reset();
    this.otherFrames.clear();
    // A callee not entered yet (the event is its call, made at a line of the caller) is not a
    // frame of its own here, as in any debugger stopped on a call line: the caller's frame is on
    // top at that line, and the call's arguments are its "Calling ...()" scope.
    const frames = this.framesAt(seq);
    this.calling = frames.length > 1 && !frames[0].focus ? frames[0].event : undefined;
    this.frames = this.calling ? frames.slice(1) : frames;
    this.thread = this.threads.idAt(this.rec!, seq);
    const ev = new StoppedEvent(reason, this.thread) as DebugProtocol.StoppedEvent;
    ev.body.description = description;
    ev.body.allThreadsStopped = true;
    if (hitIds?.length) ev.body.hitBreakpointIds = hitIds;
    if (text) ev.body.text = text;
    this.sendEvent(ev);
    const body: TdpPositionBody = { seq, length: this.rec!.length, reason, recording: this.rec!.name };
    this.sendEvent(new Event(TDP_POSITION_EVENT, body));
  }

  // ---- inspection -----------------------------------------------------------------------------------

  private framesAt(seq: number): Frame[] {
    const records = this.ctx!.records;
    return framesOf(this.rec!, seq, this.locator, records && ((s) => ({ file: records.file, line: records.lineOf(s), column: 1 })));
  }

  /** The stopped thread's frames (ids from 1), or another thread's where it last ran. */
  private threadFrames(threadId: number): { frames: Frame[]; firstId: number } {
    if (threadId === this.thread || !this.rec) return { frames: this.frames, firstId: 1 };
    const last = this.threads.has(threadId) ? this.threads.lastEventOf(this.rec, threadId, this.pos) : undefined;
    const frames = last === undefined ? [] : this.framesAt(last);
    const firstId = THREAD_FRAMES * threadId + 1;
    frames.forEach((f, i) => this.otherFrames.set(firstId + i, f));
    return { frames, firstId };
  }

  private frameById(id: number): Frame | undefined {
    return id < THREAD_FRAMES ? this.frames[id - 1] : this.otherFrames.get(id);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const { frames: all, firstId } = this.threadFrames(args.threadId);
    const start = args.startFrame ?? 0;
    const count = args.levels || all.length;
    const frames = all.slice(start, start + count).map((f, i) => {
      const id = firstId + start + i;
      const src = f.source;
      const source = src.kind === 'file'
        ? new Source(path.basename(src.path), this.convertDebuggerPathToClient(src.path))
        : this.symbolicSource(src.name, src.doc, src.reason);
      // Generated listings are de-emphasized: a client prefers a frame with real source.
      if (src.kind === 'symbolic') (source as DebugProtocol.Source).presentationHint = 'deemphasize';
      return new StackFrame(id, f.name, source, this.convertDebuggerLineToClient(src.line), 1);
    });
    response.body = { stackFrames: frames, totalFrames: all.length };
    this.sendResponse(response);
  }

  private symbolicSource(name: string, doc: string, reason: string): Source {
    let ref = this.sourceRefs.get(doc);
    if (ref === undefined) {
      ref = this.sourceRefs.size + 1;
      this.sourceRefs.set(doc, ref);
      this.sourceDocs.set(ref, doc);
    }
    return new Source(name, undefined, ref, 'tdp-mmu-sim', { reason });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const doc = this.sourceDocs.get(args.sourceReference ?? args.source?.sourceReference ?? 0);
    if (!doc || !this.rec) { this.sendErrorResponse(response, { id: 1005, format: 'no such generated source' }); return; }
    response.body = { content: listingText(symbolicListing(this.rec, doc)), mimeType: 'text/plain' };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const frame = this.frameById(args.frameId);
    const scopes = this.ctx ? scopesOf(this.ctx, this.pos, frame?.event, args.frameId === 1 ? this.calling : undefined) : [];
    response.body = {
      scopes: scopes.map((s) => {
        const d = new DapScope(s.name, this.vars.create(s.children), s.expensive) as DebugProtocol.Scope;
        if (s.hint) d.presentationHint = s.hint;
        return d;
      }),
    };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const rows = this.vars.get(args.variablesReference)?.() ?? [];
    response.body = { variables: rows.map((r) => this.toDapVariable(r)) };
    this.sendResponse(response);
  }

  private toDapVariable(r: VarNode): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name: r.name, value: r.value, variablesReference: r.children ? this.vars.create(r.children) : 0 };
    if (r.type) v.type = r.type;
    if (r.evaluateName) v.evaluateName = r.evaluateName;
    if (r.entry) v.presentationHint = { kind: 'data', attributes: ['canHaveObjectId'] };
    return v;
  }

  /** The expression environment of a frame: its call event's values, the stopped state. */
  private envFor(frameId: number | undefined, opts?: { absentEntries?: boolean }): Env {
    const frame = frameId ? this.frameById(frameId) : this.frames[0];
    const ev: SimEvent = frame?.event ?? this.rec!.event(this.pos);
    return eventEnv(this.ctx!, ev, this.pos, this.bps!.expressionNames(), opts);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (!this.ctx) { this.sendErrorResponse(response, { id: 1003, format: 'not launched yet' }); return; }
    try {
      const v = compile(args.expression).evaluate(this.envFor(args.frameId));
      const node = valueNode(args.expression, v, args.expression);
      response.body = { result: node.value, type: node.type, variablesReference: node.children ? this.vars.create(node.children) : 0 };
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1006, format: (e as Error).message, showUser: false });
    }
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const ex = this.lastHit?.exception;
    if (!ex || !this.rec) { this.sendErrorResponse(response, { id: 1007, format: 'not stopped on an exception' }); return; }
    const ev = this.rec.event(this.pos);
    const label = EXCEPTION_FILTERS.find((f) => f.filter === ex.filter)!.label;
    response.body = {
      exceptionId: label, description: ex.message, breakMode: 'always',
      details: { message: ex.message, typeName: ev.fn, stackTrace: [...ev.stack].reverse().join('\n') },
    };
    this.sendResponse(response);
  }

  private console(text: string, category: 'console' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text.endsWith('\n') ? text : text + '\n', category));
  }
}
