// The trainer's flags as the trainer itself describes them (`python -m tunedesk train --schema`,
// committed as resources/trainer-flags.json by `npm run schema:flags`). Defaults, choices and which
// methods a flag applies to come from here, so the app never restates config.py. Shared by the host
// and the renderer (no Node imports, and no zod: the renderer bundle stays without it).
import raw from '../../resources/trainer-flags.json';

/** One flag as `train --schema` describes it. */
export interface TrainerFlag {
  name: string;
  type: 'int' | 'float' | 'bool' | 'str';
  /** The flag may be omitted or null (the trainer then decides, e.g. bf16 by the device). */
  nullable: boolean;
  default: string | number | boolean | null;
  choices: (string | number)[] | null;
  help: string;
  group: string;
  /** The methods the flag means something for; the others ignore it, so their runs leave it out. */
  methods: string[];
}

interface FlagFile {
  version: number;
  methods: string[];
  groups: string[];
  flags: TrainerFlag[];
  /** Model types packing and the chunked LM-head loss run on (python-runtime/tunedesk/families.py). */
  plain_head_families: string[];
}

// Generated and tested on both sides (test_config_flag_schema.py, trainer-flags.test.ts); a file of
// another version is refused here rather than misread.
const file = raw as unknown as FlagFile;
if (file.version !== 1 || !Array.isArray(file.flags)) throw new Error(`resources/trainer-flags.json: version ${String(file.version)}, this app reads version 1`);

/**
 * `values` as TypeScript literals, for where the type system needs them (a switch over the methods).
 * Checked against the trainer's choices for `name` when this module loads: a list that differs
 * fails every importer at once, not a run later.
 */
export function checkedChoices<const T extends readonly (string | number)[]>(name: string, values: T): T {
  const theirs = file.flags.find((flag) => flag.name === name)?.choices ?? [];
  const key = (list: readonly (string | number)[]) => list.map((v) => JSON.stringify(v)).sort().join();
  if (key(values) !== key(theirs)) {
    throw new Error(`--${name}: the trainer accepts ${theirs.join(', ')}, the app lists ${values.join(', ')} (resources/trainer-flags.json)`);
  }
  return values;
}

/** The training methods in the order the app shows them. */
/**
 * The model families whose runs the trainer packs and gives the chunked LM-head loss (any other
 * runs its own forward and loss): the estimate and the recommender's defaults follow the same list.
 */
export const PLAIN_HEAD_FAMILIES: readonly string[] = Object.freeze([...file.plain_head_families]);

export const TRAIN_METHODS = checkedChoices('train_type', ['lora', 'freeze', 'ptuning', 'all'] as const);
export type TrainMethod = (typeof TRAIN_METHODS)[number];
export const PTUNING_VERSIONS = checkedChoices('ptuning_version', [2, 1] as const);

const byName = new Map(file.flags.map((flag) => [flag.name, flag]));

/** One flag's description; a name the trainer does not know is a programming error. */
export function trainerFlag(name: string): TrainerFlag {
  const flag = byName.get(name);
  if (!flag) throw new Error(`the trainer has no flag --${name} (resources/trainer-flags.json)`);
  return flag;
}

/** The trainer's default of a numeric flag (what it uses when a run leaves the flag out). */
export function numberDefault(name: string): number {
  const value = trainerFlag(name).default;
  if (typeof value !== 'number') throw new Error(`--${name} has no numeric default`);
  return value;
}

/** The trainer's default of a boolean flag. */
export function booleanDefault(name: string): boolean {
  const value = trainerFlag(name).default;
  if (typeof value !== 'boolean') throw new Error(`--${name} has no boolean default`);
  return value;
}

/** The values a text flag accepts, as the trainer lists them (for z.enum and selects). */
export function textChoices(name: string): [string, ...string[]] {
  const choices = trainerFlag(name).choices;
  if (!choices || choices.length === 0) throw new Error(`--${name} has no list of choices`);
  return choices.map(String) as [string, ...string[]];
}

/** Whether a flag means something for a method; flags the trainer does not know apply nowhere. */
export function appliesTo(name: string, method: string): boolean {
  return byName.get(name)?.methods.includes(method) ?? false;
}

/** True for flags only some methods read (LoRA's rank, Freeze's layers, P-Tuning's prefix). */
export const isMethodOnly = (name: string): boolean => (byName.get(name)?.methods.length ?? 0) < file.methods.length;

/** The method a configuration trains with: its train_type, else the trainer's default. */
export function methodOf(config: Record<string, unknown>): string {
  const named = config.train_type;
  return typeof named === 'string' && named !== '' ? named : String(trainerFlag('train_type').default);
}

/**
 * The configuration without the flags of other methods, so a Freeze setting left in a draft never
 * reaches a LoRA run. Keys the trainer does not know stay, and so does everything when the method is
 * not one the trainer knows: the trainer then names the bad key or method itself.
 */
export function forMethod<V>(config: Record<string, V>): Record<string, V> {
  const method = methodOf(config);
  if (!file.methods.includes(method)) return { ...config };
  return Object.fromEntries(Object.entries(config).filter(([key]) => !byName.has(key) || appliesTo(key, method)));
}
