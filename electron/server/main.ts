// `npm run web`: browser mode. Builds the renderer if it is stale, starts the server on
// 127.0.0.1 and prints, as its FIRST line, the URL with this launch's token.
//   options: --port N (default: a free port), --runs-dir DIR, --data-dir DIR, --no-build
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createApiContext } from '../api/context';
import { hostFolders } from '../api/host-folders';
import { ensureRenderer } from './renderer-build';
import { startServer } from './server';

const USAGE = 'usage: npm run web -- [--port N] [--runs-dir DIR] [--data-dir DIR] [--no-build]';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'runs-dir': { type: 'string' },
        'data-dir': { type: 'string' },
        'no-build': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const port = args.port === undefined ? 0 : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (0-65535), got "${args.port}".\n${USAGE}`);
    return 2;
  }
  const appRoot = fileURLToPath(new URL('../..', import.meta.url));
  // Build output goes to stderr: the first line of stdout is the URL.
  if (!args['no-build']) await ensureRenderer(appRoot, (line) => process.stderr.write(`${line}\n`));
  const folders = await hostFolders({ runsDir: args['runs-dir'], dataDir: args['data-dir'] });
  const version = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const ctx = createApiContext({ mode: 'browser', appRoot, version, ...folders });
  // Re-attach to trainings still running from an earlier launch or the CLI.
  ctx.runs().catch((error: unknown) => console.error('[tunedesk] could not read the runs folder:', error));
  const running = await startServer({ ctx, rendererDir: join(appRoot, 'dist', 'renderer'), port });
  // The first line is the contract with scripts and with the user: the URL, token included.
  console.log(`TuneDesk is running at ${running.url}`);
  console.log(`  Listening on ${running.address}:${running.port} only. From another machine, tunnel it:`);
  console.log(`    ssh -L ${running.port}:127.0.0.1:${running.port} <user>@<this-host>   then open the URL above.`);
  console.log(`  Runs: ${folders.runsRoot}   Press Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Stopping the server never stops a training: say so, the next launch re-attaches to it.
  const left = await ctx.trainings.running().catch(() => []);
  if (left.length) console.log(`${left.length} training(s) keep running in the background; the next launch shows them again.`);
  await running.close();
  await ctx.shutdown();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
