// What every CLI command module exports. Commands are thin: parse argv, call services, print.
export interface CliCommand {
  /** One line for `tunedesk --help`. */
  summary: string;
  /** Usage text for `tunedesk <command> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}
