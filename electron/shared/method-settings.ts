// Which trainer flags belong to one tuning method only. run.json holds every flag (the trainer's
// dataclass, defaults included), so a LoRA run's run.json also carries freeze_module_name and
// pre_seq_len; anything that shows a run's settings drops the ones its method never read.
export const METHOD_ONLY_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  lora_dim: ['lora'],
  lora_alpha: ['lora'],
  lora_dropout: ['lora'],
  lora_module_name: ['lora'],
  trainable_layers: ['freeze'],
  freeze_module_name: ['freeze'],
  pre_seq_len: ['ptuning'],
  prefix_projection: ['ptuning'],
  ptuning_version: ['ptuning'],
};

/** True when `key` is a setting that the run's method (train_type) uses. */
export function settingApplies(key: string, method: unknown): boolean {
  const only = METHOD_ONLY_SETTINGS[key];
  return !only || (typeof method === 'string' && only.includes(method));
}

/** The settings of a run.json that its method uses (the others left out). */
export function settingsOfMethod(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => settingApplies(key, config.train_type)));
}
