// What every feature of the extension gets at activation. Its own module so that features depend
// on it, not on the entry point (extension.ts) that imports every feature.
import type * as vscode from 'vscode';
import type { SettingsService } from './settingsService';

export interface ExtensionServices {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  settings: SettingsService;
}
