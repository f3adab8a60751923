// Helpers that drive the VS Code workbench in the page the way a person would: keyboard, command
// palette, notifications, views. Selectors are VS Code 1.139's DOM.
import type { Locator, Page } from 'playwright-core';

/** Resolves when the workbench is up and connected to its (remote) extension host. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  // The explorer renders once the remote file system answered.
  await page.locator('.explorer-folders-view, .explorer-viewlet .welcome-view').first().waitFor({ timeout: timeoutMs });
}

/**
 * Runs a command by its palette title (e.g. "TDP MMU: Show Log"). Retries, bounded: the palette
 * learns extension commands a few seconds after the workbench appears.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (;;) {
    // Closes a half-open palette or a modal editor (Settings, Running Extensions) first.
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 3000 });
      await input.fill('>' + title);
      await row.waitFor({ timeout: 3000 });
      // Exact title, not a longer command that contains it.
      const label = (await row.locator('.label-name').first().textContent())?.replace(/\s+/g, ' ').trim();
      if (label !== title) throw new Error(`palette offers "${label}", not "${title}"`);
      // Click our row rather than pressing Enter: Enter runs whichever row is highlighted, and
      // the highlight can move to another match ("Notifications: Clear All Notifications" for
      // "...Show Notifications") between reading it and pressing the key.
      await row.click();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`command "${title}" not runnable from the palette: ${(e as Error).message}`);
    }
  }
}

/** A notification, as a toast or in the notification center, whose text contains `text`. */
export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item', { hasText: text }).first();
}

/** Opens the notification center (toasts hide after a while; the center keeps them). */
export async function showNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Show Notifications');
  await page.locator('.notifications-center.visible').waitFor();
}

/** Text of the Output panel's editor (the channel currently shown). */
export async function outputText(page: Page): Promise<string> {
  const lines = page.locator('.part.panel .output-view .view-lines');
  await lines.first().waitFor();
  return (await lines.first().innerText()).replace(/\u00a0/g, ' ');
}

export interface RunningExtension {
  /** e.g. "Activation: 14ms" */
  activation: string;
  /** The hover of the activation time, read for the `explain` extension only: what activated it. */
  activatedBy?: string;
}

/**
 * The extensions the extension host has activated, by display name, from "Developer: Show
 * Running Extensions" (what a person checks to see whether an extension runs, and why).
 */
export async function runningExtensions(page: Page, explain?: string): Promise<Map<string, RunningExtension>> {
  // The list is rebuilt while extensions still activate (focus is lost): wait for that to end.
  await page.locator('.statusbar-item', { hasText: 'Activating Extensions' }).waitFor({ state: 'hidden', timeout: 30_000 });
  await runCommand(page, 'Developer: Show Running Extensions');
  const editor = page.locator('.runtime-extensions-editor');
  const rows = editor.locator('.monaco-list-row');
  await rows.first().waitFor();
  for (let attempt = 1; ; attempt++) {
    try {
      return await walkRunningExtensions(page, editor, explain);
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Walks the virtual list with the keyboard (the focused row is always revealed), then closes it. */
async function walkRunningExtensions(page: Page, editor: Locator, explain?: string): Promise<Map<string, RunningExtension>> {
  const rows = editor.locator('.monaco-list-row');
  const total = Number(await rows.first().getAttribute('aria-setsize'));
  const seen = new Map<string, RunningExtension>();
  await rows.first().click();
  await page.keyboard.press('Home');
  for (let i = 0; i <= total && seen.size < total; i++) {
    const row = editor.locator('.monaco-list-row.focused');
    const name = (await row.locator('.name').textContent({ timeout: 5000 }))?.trim() ?? '';
    const time = row.locator('.activation-time');
    const activation = ((await time.textContent({ timeout: 5000 })) ?? '').trim();
    let activatedBy: string | undefined;
    if (name === explain) {
      await time.hover();
      const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'Activated' }).filter({ visible: true }).first();
      activatedBy = (await hover.textContent())?.replace(/\s+/g, ' ').trim();
    }
    seen.set(name, { activation, activatedBy });
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  return seen;
}

/** Opens a file of the workspace through Quick Open and waits for its editor tab. */
export async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor();
}
