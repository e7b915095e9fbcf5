import { useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'cairn.theme';

/** Light or dark: the system's preference unless the user picked one (kept in localStorage). */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(() => {
    const stored = window.localStorage.getItem(KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  });
  useEffect(() => {
    const root = document.documentElement;
    if (choice === 'system') {
      root.removeAttribute('data-theme');
      window.localStorage.removeItem(KEY);
    } else {
      root.setAttribute('data-theme', choice);
      window.localStorage.setItem(KEY, choice);
    }
  }, [choice]);
  return [choice, setChoice];
}

/** The theme actually shown (charts draw on canvas and need the colours, not the CSS). */
export function isDark(): boolean {
  const set = document.documentElement.getAttribute('data-theme');
  if (set !== null) return set === 'dark';
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}
