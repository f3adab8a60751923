// Command links of review comments: their Markdown and their arguments, which come back from
// the renderer as parsed JSON and are validated before use.
import * as assert from 'assert';
import fc from 'fast-check';
import { parseExportLink, parseRevealLink, parseStepperLink } from '../../../../src/extension/review/links';
import { code, commandLink, commandUri, esc } from '../../../../src/extension/review/markdown';

const unescape = (md: string) => md.replace(/\\(.)/g, '$1');

describe('review links: markdown', () => {
  it('esc: every Markdown-active character is escaped, and unescaping gives the text back', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const e = esc(s);
      assert.strictEqual(unescape(e), s);
      // No special character is left unescaped (each one is preceded by an odd run of backslashes).
      for (const m of e.matchAll(/(\\*)([`*_[\]()#<>|!])/g)) assert.strictEqual(m[1].length % 2, 1, `${JSON.stringify(s)} → ${JSON.stringify(e)}`);
    }));
  });

  it('code: a fence longer than any backtick run inside, content kept', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const c = code(s);
      const fence = /^`+/.exec(c)![0];
      const inner = c.slice(fence.length, c.length - fence.length);
      assert.ok(c.endsWith(fence));
      assert.ok(!inner.includes(fence) || fence.length > Math.max(0, ...(inner.match(/`+/g) ?? []).map((r) => r.length)));
      // What a CommonMark renderer shows: one space stripped each side when both are there.
      const shown = inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
      assert.strictEqual(shown, s.replace(/\n/g, ' '));
    }));
    assert.strictEqual(code('KVM_BUG_ON(1, kvm)'), '`KVM_BUG_ON(1, kvm)`');
    assert.strictEqual(code('a`b'), '``a`b``');
    assert.strictEqual(code(' a '), '`  a  `');
  });

  it('command links carry one JSON argument that survives the URI', () => {
    fc.assert(fc.property(fc.record({ review: fc.nat(), file: fc.string({ unit: 'binary' }), line: fc.nat() }), (args) => {
      const uri = commandUri('tdpMmuSim.review.reveal', args);
      const m = /^command:tdpMmuSim\.review\.reveal\?([^\s()]*)$/.exec(uri);
      assert.ok(m, uri);
      assert.deepStrictEqual(JSON.parse(decodeURIComponent(m[1])), [{ ...args }]);
    }));
    assert.strictEqual(commandLink('hunk 1', 'x.y', { a: 1 }, 'say "hi"'), '[hunk 1](command:x.y?%5B%7B%22a%22%3A1%7D%5D "say \\"hi\\"")');
  });
});

describe('review links: arguments', () => {
  it('accepts what the view writes', () => {
    assert.deepStrictEqual(parseStepperLink({ review: 1, patch: 0, scenario: 3, side: 'after' }), { ok: true, value: { review: 1, patch: 0, scenario: 3, side: 'after' } });
    assert.ok(parseRevealLink({ review: 1, line: 4 }).ok);
    assert.ok(parseRevealLink({ review: 1, line: 4, patch: 0, file: 'arch/x86/kvm/mmu/tdp_mmu.c' }).ok);
    assert.ok(parseExportLink({ review: 2 }).ok);
  });

  it('rejects anything else with a message naming the field', () => {
    const bad: [ReturnType<typeof parseStepperLink | typeof parseRevealLink>, RegExp][] = [
      [parseStepperLink({ review: 1, patch: 0, scenario: 3, side: 'sideways' }), /side must be "before" or "after"/],
      [parseStepperLink({ review: -1, patch: 0, scenario: 3, side: 'after' }), /review must be a whole number/],
      [parseStepperLink({ review: 1, patch: 0.5, scenario: 3, side: 'after' }), /patch must be/],
      [parseStepperLink([1, 2]), /expected an object/],
      [parseStepperLink({ review: 1, patch: 0, scenario: 3, side: 'after', extra: 1 }), /unknown field extra/],
      [parseRevealLink({ review: 1, line: 4, patch: 0 }), /patch and file go together/],
      [parseRevealLink({ review: 1, line: '4' }), /line must be/],
    ];
    for (const [r, why] of bad) {
      assert.ok(!r.ok);
      assert.match(r.error, why);
    }
  });

  it('never throws on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      for (const p of [parseStepperLink, parseRevealLink, parseExportLink]) {
        const r = p(v);
        assert.ok(r.ok || r.error.length > 0);
      }
    }));
  });
});
