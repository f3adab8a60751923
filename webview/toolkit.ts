// The only module that knows about @vscode/webview-ui-toolkit. The rest of the webview asks for
// controls through these factories, so replacing the toolkit (it is no longer developed) means
// rewriting this file only. Every control is keyboard operable and themed by VS Code's tokens.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeTextField } from '@vscode/webview-ui-toolkit';

export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeTextField());
}

export interface ButtonOptions {
  /** Tooltip, including the keyboard shortcut. */
  title: string;
  /** Name read by screen readers when the label is a symbol. */
  ariaLabel?: string;
  secondary?: boolean;
  id?: string;
}

export function button(label: string, opts: ButtonOptions, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.title = opts.title;
  b.setAttribute('aria-label', opts.ariaLabel ?? opts.title);
  if (opts.secondary) b.setAttribute('appearance', 'secondary');
  if (opts.id) b.id = opts.id;
  b.addEventListener('click', onClick);
  return b;
}

export interface Checkbox {
  element: HTMLElement;
  get checked(): boolean;
  set checked(v: boolean);
}

export function checkbox(label: string, checked: boolean, onChange: () => void): Checkbox {
  const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  c.textContent = label;
  c.checked = checked;
  c.addEventListener('change', onChange);
  return {
    element: c,
    get checked() { return c.checked; },
    set checked(v: boolean) { c.checked = v; },
  };
}

export interface TextField {
  element: HTMLElement;
  get value(): string;
  set value(v: string);
  focus(): void;
}

export function textField(placeholder: string, ariaLabel: string, handlers: { onInput?: () => void; onEnter?: () => void }): TextField {
  const t = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  t.setAttribute('placeholder', placeholder);
  t.setAttribute('aria-label', ariaLabel);
  if (handlers.onInput) t.addEventListener('input', handlers.onInput);
  if (handlers.onEnter) {
    const onEnter = handlers.onEnter;
    t.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') onEnter(); });
  }
  return {
    element: t,
    get value() { return t.value ?? ''; },
    set value(v: string) { t.value = v; },
    focus() { t.focus(); },
  };
}
