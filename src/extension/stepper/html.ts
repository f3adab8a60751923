// The stepper webview's page. Strict CSP: nothing by default; scripts only with this page's
// nonce; styles and fonts only from the extension's own resources (plus the one <style> the
// toolkit's FAST runtime creates to probe :focus-visible, which it stamps with the nonce it
// reads from the csp-nonce meta tag). No inline script or style attribute anywhere.
import { randomBytes } from 'crypto';

export interface StepperPage {
  /** webview.cspSource: the origin the webview serves local resources from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

/** 128 bits of randomness. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function contentSecurityPolicy(p: Pick<StepperPage, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `style-src ${p.cspSource} 'nonce-${p.nonce}'`,
    `font-src ${p.cspSource}`,
    `img-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function stepperHtml(p: StepperPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(p))}">
<meta property="csp-nonce" content="${attr(p.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>TDP MMU Simulator</title>
</head>
<body>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>`;
}
