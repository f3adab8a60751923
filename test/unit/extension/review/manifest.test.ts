// The review aid's contributions in package.json agree with the code: its commands, where
// "Review Patch…" is offered (the same files the command takes from the active editor), and
// Export Review only while a review is open.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EXPORT_REVIEW_COMMAND, REVIEWABLE, REVIEWING_CONTEXT, REVIEW_PATCH_COMMAND, REVIEW_SCHEME, REVIEW_WITH_SCENARIOS_COMMAND } from '../../../../src/extension/review/links';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8'));
type MenuItem = { command: string; when?: string; group?: string };
const menu = (where: string): MenuItem[] => pkg.contributes.menus[where] ?? [];

/** The resourceExtname regex of a when clause, as VS Code evaluates it. */
function extnameRegex(when: string): RegExp {
  const m = /resourceExtname =~ \/(.+)\/([a-z]*)/.exec(when);
  assert.ok(m, `no resourceExtname regex in ${when}`);
  return new RegExp(m[1], m[2]);
}

describe('review manifest', () => {
  it('contributes "TDP MMU: Review Patch…", "TDP MMU: Review Patch with Scenarios…" and "TDP MMU: Export Review"', () => {
    const byId = new Map(pkg.contributes.commands.map((c: { command: string }) => [c.command, c]));
    assert.deepStrictEqual(byId.get(REVIEW_WITH_SCENARIOS_COMMAND), { command: REVIEW_WITH_SCENARIOS_COMMAND, title: 'Review Patch with Scenarios…', category: 'TDP MMU' });
    assert.deepStrictEqual(byId.get(REVIEW_PATCH_COMMAND), { command: REVIEW_PATCH_COMMAND, title: 'Review Patch…', category: 'TDP MMU', icon: '$(comment-discussion)' });
    assert.deepStrictEqual(byId.get(EXPORT_REVIEW_COMMAND), { command: EXPORT_REVIEW_COMMAND, title: 'Export Review', category: 'TDP MMU', icon: '$(reply)' });
  });

  it('offers Review Patch… on patches, mboxes and mails in the explorer, the editor menu and the editor title', () => {
    for (const where of ['explorer/context', 'editor/context', 'editor/title']) {
      const items = menu(where).filter((m) => m.command === REVIEW_PATCH_COMMAND);
      assert.strictEqual(items.length, 1, where);
      const re = extnameRegex(items[0].when!);
      assert.match(items[0].when!, /resourceScheme == file/);
      for (const name of ['0009-x.patch', 'series.mbx', 'b4.mbox', 'mail.eml', 'a.diff', 'UPPER.PATCH']) {
        assert.ok(re.test(path.extname(name)), `${where}: not offered on ${name}`);
        assert.ok(REVIEWABLE.test(name), `the command does not take ${name} from the active editor`);
      }
      for (const name of ['tdp_mmu.c', 'notes.txt', 'x.patch.orig', 'scenario.tdpsim.yaml']) {
        assert.ok(!re.test(path.extname(name)), `${where}: offered on ${name}`);
        assert.ok(!REVIEWABLE.test(name), name);
      }
    }
    assert.strictEqual(menu('editor/title').find((m) => m.command === REVIEW_PATCH_COMMAND)!.group, 'navigation');
  });

  it('shows Export Review in the palette only while reviewing, and on post-patch documents', () => {
    assert.deepStrictEqual(menu('commandPalette').filter((m) => m.command === EXPORT_REVIEW_COMMAND), [{ command: EXPORT_REVIEW_COMMAND, when: REVIEWING_CONTEXT }]);
    assert.ok(menu('editor/title').some((m) => m.command === EXPORT_REVIEW_COMMAND && m.when === `resourceScheme == ${REVIEW_SCHEME}`));
  });
});
