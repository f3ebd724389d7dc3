// The trainer's speed and memory defaults for a recommended plan, said with their reasons, so the
// wizard shows what will run (python-runtime/tunedesk: config.py bf16/packing, loss.py, packing.py,
// packed_attention.py).
import type { RecommendationRow } from '../../shared/contract/recommend';
import { usesChunkedLoss } from '../estimator/activations';
import type { ModelInfo } from '../../shared/contract/models';
import { PLAIN_HEAD_FAMILIES } from '../../shared/trainer-flags';
import type { MachineBudget } from './machine-budget';

export interface TrainerDefault {
  setting: string;
  value: string;
  why: string;
}

export function trainerDefaults(model: ModelInfo, budget: MachineBudget, best: RecommendationRow | undefined): TrainerDefault[] {
  const plain = PLAIN_HEAD_FAMILIES.includes(model.modelType ?? '');
  const out: TrainerDefault[] = [
    {
      setting: 'bf16',
      value: budget.device === 'mps' ? 'off' : 'auto',
      why:
        budget.device === 'cuda'
          ? 'on where the GPU supports bfloat16 (tensor cores)'
          : budget.device === 'cpu'
            ? 'on where the CPU computes bfloat16 natively (AVX512-BF16/AMX: 2.2-2.6x faster measured), else off'
            : 'bfloat16 autocast is not faster on Apple GPUs',
    },
    {
      setting: 'packing',
      value: plain ? 'on' : 'off',
      why: !plain
        ? 'this model family cannot pack: padded batches grouped by length'
        : budget.device === 'cpu'
          ? "samples packed into rows without padding, each sample attending on its own (no mask, no cross-sample square): same loss, no padding's compute"
          : "samples packed into rows without padding, attention kept within each sample: same loss, no padding's compute",
    },
  ];
  if (best) {
    const chunked = plain && usesChunkedLoss(model.arch, model.modelType, best.method.kind, best.settings.gpus, best.settings.zeroStage);
    out.push({
      setting: 'chunked loss',
      value: chunked ? 'on' : 'off',
      why: chunked
        ? `the LM head runs on answer tokens only, in chunks: no batch x length x ${model.arch.vocab}-vocabulary logits`
        : 'this plan runs the model’s own loss (P-Tuning, DeepSpeed or remote code)',
    });
    out.push({
      setting: 'gradient checkpointing',
      value: best.settings.gradientCheckpointing ? 'on' : 'off',
      why: best.settings.gradientCheckpointing
        ? 'memory is the limit for this plan: activations are recomputed (about 30% slower)'
        : 'fits without it: faster (left unset, the trainer turns it on by itself when its estimate is over 70% of free memory)',
    });
  }
  return out;
}
