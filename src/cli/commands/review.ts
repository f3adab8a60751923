// `tdp-sim review <patch|mbox|mail>`: the review aid on the command line. Parses the input,
// applies it in memory to a kernel tree, and prints per hunk where it applied and which
// simulator anchors it touches, the behaviour diff of the scenarios between the kernel profile
// before and after each patch, and the review remarks.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { PatchParseError } from '../../patch/errors';
import { exportReview } from '../../patch/export';
import { type Review, reviewPatch, scenarioFiles, shippedScenarios } from '../../patch/review';

const USAGE = `usage: tdp-sim review <patch|mbox|mail> [--tree DIR] [--scenarios DIR] [--json] [--reply]

Reviews a kernel patch or series: a git format-patch file, an mbox (b4 am), a raw mail saved
from a list archive, or a reply quoting a patch. Each patch is applied in memory (the tree is
only read) on top of the previous one, and for each hunk the command prints where it applied
and which simulator anchors it touches. When a patch moves the tree from one kernel profile to
another (e.g. mainline → hugepage-rfc-v2), the scenarios are simulated on both and the
sequences of kvm_x86_ops hooks, SEAMCALLs and KVM_BUG_ONs are compared. Then the review remarks.

  --tree DIR       kernel tree (its root or arch/x86/kvm); default $TDP_KERNEL_TREE.
                   Without one only the hunks' content is analysed.
  --scenarios DIR  also simulate the *.tdpsim.yaml files of DIR (besides the shipped ones)
  --json           print one JSON document instead
  --reply          print the remarks as a mailing-list reply instead (nothing is sent)

exit status: 0 no remarks and no behaviour change, 1 remarks, a behaviour change or a hunk that
does not apply, 2 bad input or usage (errors name file:line)
`;

interface Options { input: string; tree?: string; scenarios?: string; json: boolean; reply: boolean }

function parse(args: string[], io: CliIO): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { tree: { type: 'string' }, scenarios: { type: 'string' }, json: { type: 'boolean' }, reply: { type: 'boolean' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected one patch, mbox or mail file, got ${positionals.length}\n${USAGE.split('\n')[0]}`);
  if (values.json && values.reply) throw new UsageError('--json and --reply exclude each other');
  const tree = values.tree ?? io.env.TDP_KERNEL_TREE;
  return { input: positionals[0], tree: tree || undefined, scenarios: values.scenarios, json: !!values.json, reply: !!values.reply };
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function textReport(r: Review, treeLabel: string): string {
  const out: string[] = [];
  out.push(`${r.file}: ${r.input.kind}, ${plural(r.patches.length, 'patch')}${r.input.cover ? ' and a cover letter' : ''}${r.input.reply ? ' (quoted in a reply)' : ''}; ${treeLabel}`);
  for (const n of r.notes) out.push(`  note: ${r.file}:${n.line}: ${n.message}`);
  for (const p of r.patches) {
    out.push('', p.label);
    const b = p.profile.before;
    const a = p.profile.after;
    if (b || a) {
      out.push(`  profile: ${b?.profile ?? 'unknown'} → ${a?.profile ?? 'unknown'}${a ? ` (${a.reason})` : ''}`);
      for (const w of a?.warnings ?? []) out.push(`    warning: ${w}`);
    }
    for (const f of p.files) {
      out.push(`  ${f.path || '(file not named in the quote)'} (${f.source === 'tree' ? `tree: ${f.treePath}` : f.source})`);
      for (const n of f.notes) out.push(`    note: ${n}`);
      for (const h of f.hunks) {
        const where = h.status === 'failed'
          ? `DOES NOT APPLY: ${h.reason}`
          : `${h.status === 'already-applied' ? 'already applied' : 'applied'} at ${h.post ? `${h.post.start}-${h.post.end}` : '?'}` +
            [h.offset ? `offset ${h.offset > 0 ? '+' : ''}${h.offset}` : '', h.fuzz ? `fuzz ${h.fuzz}` : '', h.whitespace ? 'ignoring whitespace' : '', h.ambiguous ? 'ambiguous: nearest match taken' : '']
              .filter(Boolean).map((x) => `, ${x}`).join('');
        out.push(`    ${h.header}`, `      ${r.file}:${h.inputLine}: ${where}`);
        for (const t of h.anchors) {
          const span = t.post ?? t.pre!;
          out.push(`      anchor ${t.id} (${t.change}, ${t.post ? '' : 'was '}lines ${span.startLine}-${span.endLine}): ${t.title}`);
        }
      }
    }
    const bd = p.behaviour;
    if (bd.note || !bd.before || !bd.after) out.push(`  behaviour: ${bd.note}`);
    else {
      out.push(`  behaviour: simulated before and after the patch`);
      for (const w of bd.before.whatIf) out.push(`    before: ${bd.before.name}, what-if: ${w}`);
      for (const w of bd.after.whatIf) out.push(`    after:  ${bd.after.name}, what-if: ${w}`);
      for (const s of bd.scenarios) {
        out.push(`    ${path.basename(s.file)}: ${s.summary}`);
        if (s.diff?.firstDiff) out.push(`      first difference: event ${s.diff.firstDiff.before ?? '(none)'} before / event ${s.diff.firstDiff.after ?? '(none)'} after`);
      }
    }
    if (p.remarks.length) out.push('  remarks:');
    for (const m of p.remarks) {
      const at = m.file !== undefined ? `${m.file || '(unnamed file)'}:${m.line} (${r.file}:${m.inputLine})` : `${r.file}:${m.line}`;
      out.push(`    ${at}: [${m.check}] ${m.message}`, `      why: ${m.reason}`);
    }
  }
  out.push('', `${plural(r.remarks.length, 'remark')}${r.findings ? ', with behaviour changes or hunks that do not apply' : ''}`);
  return out.join('\n') + '\n';
}

/** The review as JSON for scripts: everything but the full file texts. */
function jsonReport(r: Review): unknown {
  return {
    file: r.file,
    kind: r.input.kind,
    notes: r.notes,
    findings: r.findings,
    remarks: r.remarks,
    patches: r.patches.map((p) => ({
      label: p.label,
      subject: p.patch.subject,
      series: p.patch.parsedSubject.series,
      profile: p.profile,
      files: p.files.map(({ pre: _pre, post: _post, ...f }) => f),
      behaviour: p.behaviour,
      remarks: p.remarks,
    })),
  };
}

const review: CliCommand = {
  name: 'review',
  summary: 'review a patch, series or mail: hunks, anchors touched, behaviour diff, remarks',
  usage: USAGE,
  async run(args, io) {
    const o = parse(args, io);
    const input = path.resolve(io.cwd, o.input);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(input);
    } catch (e) {
      throw new UsageError(`${o.input}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let tree: string | undefined;
    if (o.tree) {
      tree = path.resolve(io.cwd, o.tree);
      if (!fs.existsSync(tree) || !fs.statSync(tree).isDirectory()) throw new UsageError(`${o.tree}: not a directory (--tree or $TDP_KERNEL_TREE)`);
    }
    const scenarios = shippedScenarios();
    if (o.scenarios) {
      const dir = path.resolve(io.cwd, o.scenarios);
      try {
        for (const f of scenarioFiles(dir)) if (!scenarios.includes(f)) scenarios.push(f);
      } catch (e) {
        throw new UsageError(`${o.scenarios}: cannot list scenarios: ${(e as Error).message}`);
      }
    }
    let r: Review;
    try {
      r = await reviewPatch(bytes, o.input, { tree, scenarios });
    } catch (e) {
      if (e instanceof PatchParseError) { io.err(`tdp-sim review: ${e.message}\n`); return 2; }
      throw e;
    }
    if (o.json) io.out(JSON.stringify(jsonReport(r), null, 2) + '\n');
    else if (o.reply) io.out(exportReview(r) || '(no remarks: nothing to reply)\n');
    else io.out(textReport(r, tree ? `tree ${tree}` : 'no tree: only the hunks are analysed'));
    return r.remarks.length > 0 || r.findings ? 1 : 0;
  },
};

export default review;
