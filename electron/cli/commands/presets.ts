// `tunedesk presets [--json]`: the bundled one-click configurations.
import { parseArgs } from 'node:util';
import type { Preset } from '../../shared/presets';
import { loadPresets } from '../../services/recommend/presets-store';
import { UsageError, type CliCommand } from '../command';
import { table } from './machine-format';

const usage = `usage: tunedesk presets [--json]

The bundled presets (resources/presets/*.json): partial run configurations with the trainer's flag
names, and who each is for. \`tunedesk recommend --model DIR\` says which fit this machine.`;

export function renderPresets(presets: Preset[]): string {
  const rows = presets.map((p) => {
    const c = p.config;
    const knobs = [`train_type ${c.train_type}`, c.lora_dim ? `r ${c.lora_dim}` : '', c.trainable_layers ? `${c.trainable_layers} layers` : '', c.pre_seq_len ? `prefix ${c.pre_seq_len}` : '', `max_len ${c.max_len}`, `lr ${c.learning_rate}`, c.ds_file ? c.ds_file.split('/').pop()! : '']
      .filter(Boolean)
      .join(', ');
    return [p.id, p.title, p.audience, knobs];
  });
  return table(['id', 'title', 'for', 'settings'], rows);
}

export const command: CliCommand = {
  summary: 'list the bundled presets',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const presets = await loadPresets();
    console.log(values.json ? JSON.stringify({ presets }, null, 2) : renderPresets(presets));
    return 0;
  },
};
