// Property tests: whatever the input, the parsers return a result or throw PatchParseError
// (never another exception), and they finish quickly (no hang, no super-linear blow-up).
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { PatchParseError } from '../../../src/patch/errors';
import { parsePatchInput } from '../../../src/patch/parse';
import { fixture } from './helpers';

const FIXTURES = ['rfc09-shaped.patch', 'series-v2-out-of-order.mbox', 'qp-latin1.eml', 'base64-multipart.eml', 'reply-archive.txt'];

// Lines that steer the parsers into their less common states.
const TRICKY = [
  '', ' ', '---', '-- ', '@@ -1,2 +1 @@', '@@ -1 +1 @@ fn', '@@', 'diff --git a/x.c b/x.c', 'diff --git', '--- a/x.c', '+++ b/x.c',
  '--- /dev/null', 'new file mode 100644', 'GIT binary patch', 'literal 3', '\\ No newline at end of file', '+added', '-removed',
  ' context', '> @@ -3,4 +3,5 @@ f', '> +x;', '> y', '>', '[...]', '<snip>', 'On Mon, A wrote:', 'From x Mon Sep 17 00:00:00 2001',
  '>From y', 'From: a@example.org', 'Subject: =?UTF-8?q?=5BPATCH_1/2=5D_x?=', 'Subject: [PATCH v3 2/1] y', ' folded',
  'Content-Type: multipart/mixed; boundary=zz', 'Content-Type: text/plain; charset=bogus', 'Content-Transfer-Encoding: base64',
  'Content-Transfer-Encoding: quoted-printable', 'Content-Transfer-Encoding: x-uuencode', '--zz', '--zz--', '=', '=3D=', '=?x?B?###?=',
  'ZGlmZiAtLWdpdA==', ' file.c | 3 ++-', ' 1 file changed, 2 insertions(+)', 'Signed-off-by: A <a@example.org>',
];

function parsesOrTypedError(input: Uint8Array | string): void {
  const t0 = Date.now();
  try {
    parsePatchInput(input, 'random.patch');
  } catch (e) {
    if (!(e instanceof PatchParseError)) throw new Error(`unexpected ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(e.line >= 1, 'error names a line');
  }
  assert.ok(Date.now() - t0 < 2000, `parsing took ${Date.now() - t0} ms`);
}

type Edit = { op: 'del' | 'dup' | 'ins' | 'cut' | 'mangle'; at: number; line: string };

const editArb: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom('del', 'dup', 'ins', 'cut', 'mangle'),
  at: fc.nat(),
  line: fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 40 })),
});

function applyEdits(text: string, edits: Edit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (lines.length === 0) break;
    const i = e.at % lines.length;
    if (e.op === 'del') lines.splice(i, 1);
    else if (e.op === 'dup') lines.splice(i, 0, lines[i]);
    else if (e.op === 'ins') lines.splice(i, 0, e.line);
    else if (e.op === 'cut') lines.length = i;
    else lines[i] = e.line + lines[i].slice(e.line.length % Math.max(1, lines[i].length));
  }
  return lines.join('\n');
}

describe('patch/parse: property tests', function () {
  this.timeout(60000);
  it('random text never throws anything but PatchParseError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), parsesOrTypedError), { numRuns: 300 });
  });

  it('random bytes never throw anything but PatchParseError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), parsesOrTypedError), { numRuns: 200 });
  });

  it('random lines drawn from patch and mail syntax', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TRICKY), { maxLength: 80 }), (ls) => parsesOrTypedError(ls.join('\n'))), { numRuns: 400 });
  });

  it('edited fixtures (lines deleted, duplicated, inserted, cut, mangled)', () => {
    const texts = FIXTURES.map((f) => fixture(f).toString('latin1'));
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(editArb, { minLength: 1, maxLength: 8 }), (text, edits) => parsesOrTypedError(applyEdits(text, edits))),
      { numRuns: 400 },
    );
  });

  it('large pathological inputs finish quickly', () => {
    for (const line of ['@@ -1,100000 +1,100000 @@', '> @@ -1 +1 @@', '=?utf-8?q?' + 'a'.repeat(50), '>'.repeat(1000) + ' x', '--zz', ' ' + 'a'.repeat(20000) + ' |  1 +']) {
      parsesOrTypedError(('From: a@example.org\nSubject: [PATCH] x\n\n' + (line + '\n').repeat(5000)));
      parsesOrTypedError((line + '\n').repeat(5000));
    }
  });
});
