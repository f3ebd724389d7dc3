// The `tunedesk` command line: one thin face over electron/services (the app and the browser
// server are the other two). Each command lives in commands/<name>.ts and is loaded on demand.
import { exitQuietlyOnClosedPipe } from './closed-pipe';
import type { CliCommand } from './command';
import { UsageError } from './command';

exitQuietlyOnClosedPipe();

const commands: Record<string, () => Promise<{ command: CliCommand }>> = {
  export: () => import('./commands/export'),
  try: () => import('./commands/try'),
  doctor: () => import('./commands/doctor'),
  inspect: () => import('./commands/inspect'),
  pull: () => import('./commands/pull'),
  recommend: () => import('./commands/recommend'),
  presets: () => import('./commands/presets'),
  train: () => import('./commands/train'),
  runs: () => import('./commands/runs'),
  stop: () => import('./commands/stop'),
  resume: () => import('./commands/resume'),
  demo: () => import('./commands/demo'),
};

function help(): string {
  return [
    'usage: tunedesk <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands).map((name) => `  ${name}`),
    '',
    'Run `tunedesk <command> --help` for the options of one command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(help());
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
