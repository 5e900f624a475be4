import { useCallback, useEffect, useSyncExternalStore } from 'react';

// Light, dark or follow the system. public/boot.js applies the stored
// choice before the first paint (no white flash in dark mode); this module
// keeps it in sync afterwards.

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'atlhyper.theme';
const listeners = new Set<() => void>();

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

const media = () => window.matchMedia('(prefers-color-scheme: dark)');

export function effectiveTheme(choice: ThemeChoice, systemDark: boolean): 'light' | 'dark' {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

function apply(choice: ThemeChoice) {
  const dark = effectiveTheme(choice, media().matches) === 'dark';
  document.documentElement.classList.toggle('dark', dark);
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
}

export function setTheme(choice: ThemeChoice) {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    /* ignore */
  }
  apply(choice);
  listeners.forEach((l) => l());
}

function subscribe(l: () => void) {
  listeners.add(l);
  const m = media();
  const onChange = () => {
    apply(read());
    l();
  };
  m.addEventListener('change', onChange);
  return () => {
    listeners.delete(l);
    m.removeEventListener('change', onChange);
  };
}

/** [choice, effective theme, setter] */
export function useTheme(): [ThemeChoice, 'light' | 'dark', (c: ThemeChoice) => void] {
  const choice = useSyncExternalStore(subscribe, read, () => 'system' as ThemeChoice);
  const systemDark = useSyncExternalStore(subscribe, () => media().matches, () => false);
  useEffect(() => apply(choice), [choice]);
  const set = useCallback((c: ThemeChoice) => setTheme(c), []);
  return [choice, effectiveTheme(choice, systemDark), set];
}
