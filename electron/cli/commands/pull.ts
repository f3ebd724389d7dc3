// `tunedesk pull <repo-id> [--revision R]`: a model from the Hugging Face Hub into the data
// folder's models/, through the same runner as the app (python -m tunedesk pull). The token for
// gated models comes from HF_TOKEN or stdin (--token-stdin), never from an argument.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { hostFolders } from '../../api/host-folders';
import { folderNameOf, modelsDirOf } from '../../services/hub/downloads';
import { hubEndpoint } from '../../services/hub/endpoint';
import { runPull, type PullStep } from '../../services/hub/pull-runner';
import { UsageError, type CliCommand } from '../command';

const usage = `usage: tunedesk pull <repo-id> [--revision R] [--data-dir DIR] [--allow-pickle] [--token-stdin] [--json]

Downloads a model from the Hugging Face Hub (safetensors and config/tokenizer files only) into
<data dir>/models/<org>--<name>, pinned to the revision's commit. Interrupted? Run it again: it
resumes. The endpoint is HF_ENDPOINT, else the app's setting, else https://huggingface.co.
Gated models: export HF_TOKEN=..., or pipe the token in with --token-stdin.`;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function progressLine(step: PullStep): string {
  const pct = step.bytesTotal ? ` (${Math.floor((100 * step.bytesDone) / step.bytesTotal)}%)` : '';
  const speed = step.speedBps ? `, ${mb(step.speedBps)}/s` : '';
  const eta = step.etaSeconds !== null ? `, ${Math.round(step.etaSeconds)} s left` : '';
  return `${mb(step.bytesDone)} of ${mb(step.bytesTotal)}${pct}${speed}${eta}`;
}

async function readTokenLine(): Promise<string | null> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim() || null;
  }
  return null;
}

export const command: CliCommand = {
  summary: 'download a model from the Hugging Face Hub (resumable)',
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { revision: { type: 'string' }, 'data-dir': { type: 'string' }, 'allow-pickle': { type: 'boolean' }, 'token-stdin': { type: 'boolean' }, json: { type: 'boolean' } },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [repoId, ...extra] = parsed.positionals;
    if (!repoId || extra.length) throw new UsageError('give exactly one repo id, e.g. Qwen/Qwen2.5-0.5B-Instruct');
    const { values } = parsed;
    const { dataDir } = await hostFolders({ dataDir: values['data-dir'] });
    const { endpoint } = await hubEndpoint(dataDir);
    const token = values['token-stdin'] ? await readTokenLine() : null;
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    if (!values.json) console.error(`pulling ${repoId} from ${endpoint} into ${modelsDirOf(dataDir)}/${folderNameOf(repoId)}`);
    let lastPrint = 0;
    const outcome = await runPull(
      { repoId, revision: values.revision ?? 'main', dataDir, endpoint, allowPickle: values['allow-pickle'] === true, token },
      {
        signal: abort.signal,
        onStep(step) {
          if (values.json) console.log(JSON.stringify({ event: 'progress', ...step }));
          else if (Date.now() - lastPrint > 1000) {
            lastPrint = Date.now();
            console.error(`  ${progressLine(step)}`);
          }
        },
      },
    );
    if (values.json) console.log(JSON.stringify(outcome));
    if (outcome.status === 'completed') {
      if (!values.json) {
        console.log(`${outcome.alreadyComplete ? 'already here' : 'done'}: ${outcome.modelDir} (commit ${outcome.commit})`);
        if (outcome.next) console.log(`next: ${outcome.next}`);
        else console.log(`next: npx tunedesk inspect ${outcome.modelDir}`);
      }
      return 0;
    }
    if (outcome.status === 'cancelled') {
      if (!values.json) console.error('stopped; what was downloaded is kept. Run the same command again to resume.');
      return 130;
    }
    if (!values.json) console.error(`cannot pull ${repoId}: ${outcome.error.message}\n  what to do: ${outcome.error.hint}`);
    return 1;
  },
};
