// Workspace trust (package.json capabilities.untrustedWorkspaces = "limited"): simulating, viewing
// and reviewing need no trust; a feature that would run an external program asks for it here first.
import * as vscode from 'vscode';

/**
 * True when the workspace is trusted. Otherwise tells the user that `feature` needs trust, offers
 * to manage it, and returns false: the caller must then not run the program.
 */
export async function requireTrust(feature: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `TDP MMU Simulator: ${feature} runs an external program, which is disabled in Restricted Mode.`,
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
