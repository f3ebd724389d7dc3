// UI preferences: theme and the expert switch. Kept in localStorage (preferences only, never
// live telemetry or run data — those come from the host each time).
import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface SettingsState {
  theme: ThemeChoice;
  /** Newcomers see only what matters; experts see every trainer setting. */
  expert: boolean;
  setTheme(theme: ThemeChoice): void;
  setExpert(expert: boolean): void;
}

export const useSettingsStore = create<SettingsState>()(
  persist(
    (set) => ({
      theme: 'system',
      expert: false,
      setTheme: (theme) => set({ theme }),
      setExpert: (expert) => set({ expert }),
    }),
    { name: 'tunedesk.settings', partialize: (s) => ({ theme: s.theme, expert: s.expert }) },
  ),
);

/** Puts the chosen theme on <html>; 'system' removes it so prefers-color-scheme decides. */
export function applyTheme(theme: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
}
