import * as assert from 'assert';
import { contentSecurityPolicy, newNonce, stepperHtml } from '../../../src/extension/stepper/html';

const page = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/stepper.css',
  nonce: 'abcDEF123',
};

describe('stepper webview page', () => {
  it('has a strict CSP: nothing by default, scripts only with the nonce, no unsafe-*', () => {
    const csp = contentSecurityPolicy(page);
    assert.match(csp, /^default-src 'none';/);
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d]));
    assert.strictEqual(directives.get('script-src'), "script-src 'nonce-abcDEF123'");
    assert.strictEqual(directives.get('style-src'), `style-src ${page.cspSource} 'nonce-abcDEF123'`);
    assert.doesNotMatch(csp, /unsafe|\*|data:|blob:/);
    const html = stepperHtml(page);
    assert.ok(html.includes(`content="${csp}"`));
  });

  it('loads exactly one script, with the nonce, and no inline script or style', () => {
    const html = stepperHtml(page);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepStrictEqual(scripts, [`<script nonce="abcDEF123" src="${page.scriptUri}">`]);
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'inline script');
    assert.doesNotMatch(html, /<style|style="/, 'inline style');
    assert.match(html, /<meta property="csp-nonce" content="abcDEF123">/);
  });

  it('escapes what it puts in attributes', () => {
    const html = stepperHtml({ ...page, styleUri: 'x"><script>alert(1)</script>' });
    assert.doesNotMatch(html, /<script>alert/);
  });

  it('makes a fresh, unguessable nonce each time', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newNonce()));
    assert.strictEqual(seen.size, 200);
    for (const n of seen) assert.match(n, /^[0-9a-f]{32}$/);
  });
});
