import { strict as assert } from 'assert';
import { PatchParseError } from '../../../src/patch/errors';
import { parsePatchInput } from '../../../src/patch/parse';
import { fixture, fixtureLine } from './helpers';

const V2_01 = 'v2-0001-KVM-x86-tdp_mmu-Count-mirror-leaves-removed-under.patch';

function expectParseError(input: string, line: number, pattern: RegExp): PatchParseError {
  try {
    parsePatchInput(input, 'input.patch');
  } catch (e) {
    assert.ok(e instanceof PatchParseError, `expected PatchParseError, got ${e}`);
    assert.equal(e.line, line, `wrong line in: ${e.message}`);
    assert.match(e.problem, pattern);
    assert.ok(e.message.startsWith(`input.patch:${line}`));
    return e;
  }
  assert.fail('no error thrown');
}

describe('patch/parse: git format-patch', () => {
  const parsed = parsePatchInput(fixture('rfc09-shaped.patch'), 'rfc09-shaped.patch');
  const p = parsed.patches[0];

  it('unfolds the subject and reads the series tag', () => {
    assert.equal(parsed.kind, 'mbox');
    assert.equal(p.parsedSubject.title, 'KVM: x86/tdp_mmu: Add split_external_spt hook called during write mmu_lock');
    assert.deepEqual(
      { rfc: p.parsedSubject.series?.rfc, v: p.parsedSubject.series?.version, i: p.parsedSubject.series?.index, k: p.parsedSubject.series?.total },
      { rfc: true, v: 2, i: 9, k: 23 },
    );
    assert.equal(p.author, 'Ada Example <ada@example.org>');
    assert.equal(p.isCover, false);
  });

  it('splits changelog, trailers and diffstat, keeping input line numbers', () => {
    assert.match(p.changelog.lines[0], /^Add the split_external_spt hook/);
    assert.equal(fixtureLine('rfc09-shaped.patch', p.changelog.src[0]), p.changelog.lines[0]);
    assert.deepEqual(p.trailers.lines, ['Signed-off-by: Ada Example <ada@example.org>']);
    assert.deepEqual(p.diffstat.map((d) => [d.path, d.changes]), [
      ['arch/x86/include/asm/kvm-x86-ops.h', 1],
      ['arch/x86/include/asm/kvm_host.h', 3],
      ['arch/x86/kvm/mmu/tdp_mmu.c', 23],
    ]);
    assert.deepEqual(parsed.notes.filter((n) => /diffstat/.test(n.message)), []);
  });

  it('reads per-file hunks with their function context', () => {
    assert.deepEqual(p.files.map((f) => f.newPath), ['arch/x86/include/asm/kvm-x86-ops.h', 'arch/x86/include/asm/kvm_host.h', 'arch/x86/kvm/mmu/tdp_mmu.c']);
    const tdp = p.files[2];
    assert.deepEqual(tdp.hunks.map((h) => [h.header?.oldStart, h.header?.oldCount, h.header?.newStart, h.header?.newCount]), [[8, 6, 8, 7], [35, 6, 36, 16], [182, 12, 193, 16]]);
    assert.match(tdp.hunks[2].header!.section, /^static u64 tdp_mmu_set_spte\(/);
    for (const h of tdp.hunks) {
      for (const l of h.lines) assert.equal(fixtureLine('rfc09-shaped.patch', l.src), l.kind + l.text);
    }
  });
});

describe('patch/parse: mbox series', () => {
  const parsed = parsePatchInput(fixture('series-v2-out-of-order.mbox'), 'series.mbox');

  it('orders the patches by [PATCH v2 M/3] and recognises the cover letter', () => {
    assert.deepEqual(parsed.patches.map((p) => p.parsedSubject.series?.index), [1, 2, 3]);
    assert.equal(parsed.cover?.parsedSubject.series?.index, 0);
    assert.match(parsed.cover!.changelog.lines.join('\n'), /Three small changes around mirror page tables/);
    assert.ok(parsed.notes.some((n) => /reordered/.test(n.message)));
  });

  it('undoes mboxrd ">From " escaping', () => {
    const text = parsed.patches[0].changelog.lines.join('\n');
    assert.match(text, /^From the guest's point of view nothing changes\.$/m);
  });

  it('keeps each message\'s lines pointing into the mbox', () => {
    for (const p of parsed.patches) {
      const l = p.files[0].hunks[0].lines[0];
      assert.equal(fixtureLine('series-v2-out-of-order.mbox', l.src), l.kind + l.text);
    }
  });
});

describe('patch/parse: raw mails', () => {
  it('quoted-printable, iso-8859-1, folded encoded-word subject', () => {
    const parsed = parsePatchInput(fixture('qp-latin1.eml'), 'qp.eml');
    assert.equal(parsed.kind, 'mail');
    const p = parsed.patches[0];
    assert.equal(p.subject, '[PATCH v2 1/3] KVM: x86/tdp_mmu: Count mirror leaves removed under write mmu_lock');
    assert.equal(p.author, 'Zoë Exémple <zoe@example.org>');
    const text = p.changelog.lines.join('\n');
    assert.match(text, /module's view \(a naïve$/m, 'soft line break joined and =EF decoded as latin-1');
    assert.match(text, /kvm->stat and is reported .* mirror_leaves_removed=N\)\.$/m);
    const added = p.files[0].hunks[0].lines.filter((l) => l.kind === '+').map((l) => l.text.trim());
    assert.deepEqual(added, ['WARN_ON_ONCE(level > PG_LEVEL_2M);', 'kvm->stat.mirror_leaves_removed++;']);
    // The hunk header was soft-broken over two encoded lines: it maps to the first.
    assert.match(fixtureLine('qp-latin1.eml', p.files[0].hunks[0].src), /^@@ -33,6 \+33,8 @@ static void remove_external_spte/);
    const ctx = p.files[0].hunks[0].lines.find((l) => l.text.includes('kvm_x86_call(remove_external_spte)'))!;
    assert.match(fixtureLine('qp-latin1.eml', ctx.src), /ret =3D kvm_x86_call/);
  });

  it('multipart/mixed with base64 text and text/x-patch parts', () => {
    const parsed = parsePatchInput(fixture('base64-multipart.eml'), 'b64.eml');
    const p = parsed.patches[0];
    assert.equal(p.parsedSubject.series?.index, 3);
    assert.match(p.changelog.lines.join('\n'), /\(-EINVAL → -EOPNOTSUPP\)\./);
    assert.equal(p.files[0].newPath, 'arch/x86/kvm/mmu/tdp_mmu.c');
    const removed = p.files[0].hunks[0].lines.filter((l) => l.kind === '-').map((l) => l.text.trim());
    assert.deepEqual(removed, ['return -EINVAL;']);
    // Decoded lines point into the base64 attachment.
    const attachmentStart = fixture('base64-multipart.eml').toString().split('\n').findIndex((l) => l.startsWith('Content-Disposition: attachment')) + 1;
    assert.ok(p.files[0].hunks[0].src > attachmentStart);
  });

  it('accepts a string already decoded by an editor', () => {
    const parsed = parsePatchInput(fixture('qp-latin1.eml').toString('latin1'), 'qp.eml');
    assert.equal(parsed.patches[0].author, 'Zoë Exémple <zoe@example.org>');
  });
});

describe('patch/parse: reply quoting a patch', () => {
  const parsed = parsePatchInput(fixture('reply-archive.txt'), 'reply.txt');
  const reply = parsed.reply!;
  const p = parsed.patches[0];

  it('finds the quoted patch, its author and the reviewer', () => {
    assert.equal(reply.reviewer, 'Bo Reviewer');
    assert.equal(reply.attribution?.author, 'Ada Example');
    assert.equal(reply.attribution?.date, 'Thu, 2025-08-07 at 17:43 +0800');
    assert.equal(p.reconstructed, true);
    assert.equal(p.parsedSubject.series?.index, 9);
    assert.deepEqual(p.changelog.lines, [
      'Add the split_external_spt hook to kvm_x86_ops and call it from',
      'tdp_mmu_set_spte() when a mirror entry changes under write mmu_lock.',
    ]);
  });

  it('rebuilds partial hunks, one per quoted fragment, flagging lost markers', () => {
    assert.equal(p.files.length, 1);
    const fp = p.files[0];
    assert.equal(fp.pathUnknown, true);
    assert.deepEqual(fp.hunks.map((h) => h.header?.oldStart ?? null), [null, 35, 182]);
    assert.ok(fp.hunks.every((h) => h.partial));
    const first = fp.hunks[0];
    assert.deepEqual(first.lines.filter((l) => l.kind === '+').map((l) => l.text), ['static void *get_external_spt(gfn_t gfn, u64 new_spte, int level);']);
    assert.ok(first.lines[0].assumed, 'context line without its leading space');
    assert.ok(parsed.notes.some((n) => n.line === first.src && /lost their \+\/-\/space marker/.test(n.message)));
    assert.ok(parsed.notes.some((n) => /file header .* elided/.test(n.message)));
  });

  it('attaches the reviewer\'s text to the quoted line above it', () => {
    const c = reply.comments.find((x) => /declaration go away/.test(x.text.lines[0]))!;
    assert.match(fixtureLine('reply-archive.txt', c.after!), /^> \+static void \*get_external_spt/);
    assert.equal(reply.comments.length, 4);
  });
});

describe('patch/parse: malformed input names the line', () => {
  const head = 'From: A <a@example.org>\nSubject: [PATCH] x\n\nmsg\n---\ndiff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n';
  it('a hunk cut short', () => {
    expectParseError(head + '@@ -1,3 +1,3 @@\n a\n-b\n+c\nnot a hunk line\n', 13, /not part of hunk/);
  });
  it('a hunk cut at end of input', () => {
    expectParseError(head + '@@ -1,3 +1,3 @@\n a\n', 10, /ends at end of input: 2 old and 2 new/);
  });
  it('more lines than the header counts', () => {
    expectParseError(head + '@@ -1,1 +1,1 @@\n-a\n+b\n+c\n@@ -5 +5 @@\n-x\n+y\n', 12, /beyond the end of the hunk at line 9, whose header counts 1 old and 1 new/);
  });
  it('a malformed hunk header', () => {
    expectParseError(head + '@@ -1,x +1 @@\n a\n', 9, /malformed hunk header/);
  });
  it('a malformed mail header', () => {
    expectParseError('From: A <a@example.org>\nSubject: [PATCH] x\nthis is not a header\n\nbody\n', 3, /malformed mail header/);
  });
  it('an unclosed multipart', () => {
    expectParseError('From: a@example.org\nSubject: x\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n\ntext\n', 7, /never closed/);
  });
  it('a bad base64 body, with the column', () => {
    const e = expectParseError('From: a@example.org\nSubject: x\nContent-Transfer-Encoding: base64\n\nZGlm\nZi*t\n', 6, /invalid character '\*' in base64/);
    assert.equal(e.column, 3);
  });
  it('no patch at all', () => {
    expectParseError('Hello,\n\nnothing to see here.\n', 1, /no patch found/);
  });
  it('binary data', () => {
    expectParseError('line one\nline\0two\n', 2, /binary data/);
  });
  it('a second copy of a series position is noted, not silently merged', () => {
    const mbox = fixture(V2_01).toString();
    const parsed = parsePatchInput(mbox + '\n' + mbox, 'dup.mbox');
    assert.equal(parsed.patches.length, 1);
    assert.ok(parsed.notes.some((n) => /appears twice/.test(n.message)));
  });
});
