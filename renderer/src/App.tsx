// The window: a navigation rail (screens, theme, expert switch) and the current screen, chosen by
// the URL hash so a reload comes back to the same place.
import { lazy, Suspense, useEffect } from 'react';
import { routeHash, useRoute, type Route } from './route';
import { applyTheme, useSettingsStore, type ThemeChoice } from './shared-state/settings-store';
import { HomeScreen } from './screens/HomeScreen';

// Home is the first screen everyone sees: it ships in the main chunk. The others load when first
// opened, so start-up does not parse the wizard's charting library or the dashboard's code.
const WizardScreen = lazy(() => import('./screens/wizard/WizardScreen').then((m) => ({ default: m.WizardScreen })));
const RunScreen = lazy(() => import('./screens/run/RunScreen').then((m) => ({ default: m.RunScreen })));
const RunsScreen = lazy(() => import('./screens/runs/RunsScreen').then((m) => ({ default: m.RunsScreen })));
const ExportScreen = lazy(() => import('./screens/export/ExportScreen').then((m) => ({ default: m.ExportScreen })));
const TryScreen = lazy(() => import('./screens/try/TryScreen').then((m) => ({ default: m.TryScreen })));

const NAV: { label: string; route: Route; matches: Route['screen'][] }[] = [
  { label: 'Home', route: { screen: 'home' }, matches: ['home'] },
  { label: 'New training', route: { screen: 'wizard' }, matches: ['wizard'] },
  { label: 'Runs', route: { screen: 'runs', compare: [] }, matches: ['runs', 'run'] },
  { label: 'Export', route: { screen: 'export' }, matches: ['export'] },
  { label: 'Try', route: { screen: 'try' }, matches: ['try'] },
];

export function App() {
  const route = useRoute();
  const theme = useSettingsStore((s) => s.theme);
  const setTheme = useSettingsStore((s) => s.setTheme);
  const expert = useSettingsStore((s) => s.expert);
  const setExpert = useSettingsStore((s) => s.setExpert);
  useEffect(() => applyTheme(theme), [theme]);

  return (
    <div className="app">
      <nav className="nav" aria-label="Screens">
        <div className="brand">TuneDesk</div>
        {NAV.map((item) => (
          <a key={item.label} href={routeHash(item.route)} aria-current={item.matches.includes(route.screen) ? 'page' : undefined}>
            {item.label}
          </a>
        ))}
        <div className="spacer" />
        <div className="toggles">
          <label className="row" style={{ gap: 6 }}>
            <input type="checkbox" checked={expert} onChange={(e) => setExpert(e.target.checked)} />
            Expert settings
          </label>
          <label className="field">
            <span>Theme</span>
            <select value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)} aria-label="Theme">
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </div>
      </nav>
      <main className="screen">
        <Suspense fallback={<p className="help">Loading…</p>}>
          <CurrentScreen route={route} />
        </Suspense>
      </main>
    </div>
  );
}

function CurrentScreen({ route }: { route: Route }) {
  switch (route.screen) {
    case 'home':
      return <HomeScreen />;
    case 'wizard':
      return <WizardScreen />;
    case 'run':
      return <RunScreen key={route.runId} runId={route.runId} />;
    case 'runs':
      return <RunsScreen compare={route.compare} />;
    case 'export':
      return <ExportScreen runId={route.runId} checkpoint={route.checkpoint} />;
    case 'try':
      return <TryScreen runId={route.runId} checkpoint={route.checkpoint} />;
  }
}
