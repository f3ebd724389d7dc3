// The screen lives in the URL hash (#/run/<id>), so a page reload lands on the same screen and the
// dashboard re-attaches to the same run. The token stays in the query string, untouched.
import { useSyncExternalStore } from 'react';

export type Route =
  | { screen: 'home' }
  | { screen: 'wizard' }
  | { screen: 'run'; runId: string }
  | { screen: 'runs'; compare: string[] }
  | { screen: 'export'; runId?: string; checkpoint?: string }
  | { screen: 'try'; runId?: string; checkpoint?: string };

/** Parses "#/run/abc" and friends; anything unknown is home. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  const opt = (key: string) => params.get(key) ?? undefined;
  switch (parts[0]) {
    case 'wizard':
      return { screen: 'wizard' };
    case 'run':
      return parts[1] ? { screen: 'run', runId: parts[1] } : { screen: 'runs', compare: [] };
    case 'runs':
      return { screen: 'runs', compare: (params.get('compare') ?? '').split(',').filter(Boolean) };
    case 'export':
      return withOptional({ screen: 'export' }, opt('run'), opt('checkpoint'));
    case 'try':
      return withOptional({ screen: 'try' }, opt('run'), opt('checkpoint'));
    default:
      return { screen: 'home' };
  }
}

function withOptional<R extends { screen: 'export' | 'try' }>(r: R, runId?: string, checkpoint?: string): R {
  return { ...r, ...(runId ? { runId } : {}), ...(checkpoint ? { checkpoint } : {}) };
}

export function routeHash(route: Route): string {
  switch (route.screen) {
    case 'home':
      return '#/';
    case 'wizard':
      return '#/wizard';
    case 'run':
      return `#/run/${encodeURIComponent(route.runId)}`;
    case 'runs':
      return route.compare.length ? `#/runs?compare=${route.compare.map(encodeURIComponent).join(',')}` : '#/runs';
    case 'export':
    case 'try': {
      const q = new URLSearchParams();
      if (route.runId) q.set('run', route.runId);
      if (route.checkpoint) q.set('checkpoint', route.checkpoint);
      const s = q.toString();
      return `#/${route.screen}${s ? `?${s}` : ''}`;
    }
  }
}

export function navigate(route: Route): void {
  window.location.hash = routeHash(route);
}

const subscribe = (cb: () => void) => {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
};

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
