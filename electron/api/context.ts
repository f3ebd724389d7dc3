// Everything a handler may use: folders, the path guard, the event hub, the host's run manager
// (and its trainings, for the quit guard), what only the desktop app can do (native dialogs, the
// system browser), and a cache of the other feature services so each is built once per host. Created by the Electron main process or the browser-mode server.
import { join, resolve } from 'node:path';
import { PathGuard } from '../services/paths/path-guard';
import { loadPickedPaths } from '../services/paths/picked-paths';
import type { SecretStore } from '../services/hub/secret-store';
import type { RunManager } from '../services/runs/run-manager';
import { EventHub } from './event-hub';
import { openRunManager, trainingsOf, type TrainingControl } from './host-runs';

export type { RunningTraining, TrainingControl } from './host-runs';

/** What only the desktop app can do; absent in browser mode. */
export interface NativeHost {
  /** Opens a native file/folder dialog; null when the user cancels. */
  pickPath(options: { kind: 'file' | 'directory'; title?: string; defaultPath?: string }): Promise<string | null>;
  /** Opens an (already validated) https URL in the system browser. */
  openExternal(url: string): Promise<void>;
}

export interface ApiContext {
  mode: 'electron' | 'browser';
  version: string;
  /** Where runs live (read and written by the run manager). */
  runsRoot: string;
  /** TuneDesk's per-user data folder (settings, picked paths). */
  dataDir: string;
  /** The bundled resources/ folder (presets, DeepSpeed configs, demo data). */
  resourcesDir: string;
  /** The repository / install root (python-runtime lives under it). */
  appRoot: string;
  paths: PathGuard;
  events: EventHub;
  native?: NativeHost;
  /** The desktop app's OS-encrypted secret storage (the Hub token); absent: kept in memory only. */
  secrets?: SecretStore;
  /**
   * The host's one run manager, opened on first use: re-attached to live runs, its updates
   * published on 'runs.update', the runs root watched for runs started elsewhere.
   */
  runs(): Promise<RunManager>;
  /** The running trainings, for the quit guard; there from the start (it opens the run manager if need be). */
  trainings: TrainingControl;
  /** Returns the one instance of a service, building it on first use. */
  service<T>(key: string, build: () => T): T;
  /** Registers cleanup to run when the host shuts down. */
  onShutdown(cleanup: () => void | Promise<void>): void;
  /** Runs every registered cleanup (the host calls this once on exit). */
  shutdown(): Promise<void>;
}

export interface ApiContextOptions {
  mode: 'electron' | 'browser';
  runsRoot: string;
  dataDir: string;
  /** The install root (holds resources/ and python-runtime/). */
  appRoot: string;
  version?: string;
  native?: NativeHost;
  secrets?: SecretStore;
}

export function createApiContext(options: ApiContextOptions): ApiContext {
  const appRoot = resolve(options.appRoot);
  const resourcesDir = join(appRoot, 'resources');
  const paths = new PathGuard([
    { path: resolve(options.runsRoot), why: 'runs folder' },
    { path: resolve(options.dataDir), why: 'TuneDesk data folder' },
    { path: resourcesDir, why: 'bundled resources' },
  ]);
  for (const pick of loadPickedPaths(options.dataDir)) {
    paths.allow(pick.path, `picked ${pick.purpose} ${pick.kind === 'file' ? 'file' : 'folder'}`);
  }
  const services = new Map<string, unknown>();
  const cleanups: (() => void | Promise<void>)[] = [];
  const events = new EventHub();
  let runManager: Promise<RunManager> | null = null;
  const context: ApiContext = {
    mode: options.mode,
    version: options.version ?? '0.0.0',
    runsRoot: resolve(options.runsRoot),
    dataDir: resolve(options.dataDir),
    resourcesDir,
    appRoot,
    paths,
    events,
    runs() {
      runManager ??= openRunManager(context);
      return runManager;
    },
    trainings: trainingsOf(() => context.runs()),
    service<T>(key: string, build: () => T): T {
      if (!services.has(key)) services.set(key, build());
      return services.get(key) as T;
    },
    onShutdown(cleanup) {
      cleanups.push(cleanup);
    },
    async shutdown() {
      events.close();
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          console.error('[tunedesk] cleanup failed:', error);
        }
      }
    },
  };
  if (options.native) context.native = options.native;
  if (options.secrets) context.secrets = options.secrets;
  return context;
}
