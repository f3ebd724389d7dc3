// How many parameters each method trains, and how many it adds to the model.
import type { ModelArch } from '../../shared/contract/models';
import type { MethodSpec } from '../../shared/contract/estimator';

export interface ParamCounts {
  /** Parameters that get gradients and optimizer states. */
  trainable: number;
  /** Parameters the method adds to the base model (adapters, prefix encoder). */
  added: number;
}

/** [in, out] features of a projection named as peft names target modules. */
function projectionShape(arch: ModelArch, name: string): [number, number] | null {
  const q = arch.heads * arch.headDim;
  const kv = arch.kvHeads * arch.headDim;
  const h = arch.hidden;
  const f = arch.ffn;
  const upWidth = arch.mlp === 'gated' ? 2 * f : f; // ChatGLM2's dense_h_to_4h is gate and up fused
  const shapes: Record<string, [number, number]> = {
    query_key_value: [h, q + 2 * kv],
    q_proj: [h, q],
    k_proj: [h, kv],
    v_proj: [h, kv],
    o_proj: [q, h],
    dense: [q, h],
    gate_proj: [h, f],
    up_proj: [h, f],
    gate_up_proj: [h, 2 * f],
    down_proj: [f, h],
    dense_h_to_4h: [h, upWidth],
    dense_4h_to_h: [f, h],
  };
  return shapes[name] ?? null;
}

const ALL_LINEAR = ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h'];
const ALL_LINEAR_HF = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** The projections a LoRA target list names, resolved against this architecture. */
export function loraShapes(arch: ModelArch, targets: string[], chatglmNames: boolean): Array<[number, number]> {
  const names = targets.includes('all-linear') ? (chatglmNames ? ALL_LINEAR : ALL_LINEAR_HF) : targets;
  return names.map((n) => projectionShape(arch, n.trim())).filter((s): s is [number, number] => s !== null);
}

/**
 * P-Tuning v2's prefix encoder (ChatGLM's PrefixEncoder): with projection an embedding of
 * pre_seq_len x hidden, then Linear(hidden, hidden), tanh, Linear(hidden, 2 x layers x kv width);
 * without, one embedding of pre_seq_len x (2 x layers x kv width). The kv width is what makes
 * ChatGLM-6B's prefix so much bigger than ChatGLM2-6B's multi-query one.
 */
export function prefixEncoderParams(arch: ModelArch, preSeqLen: number, projection: boolean): number {
  const kvSize = 2 * arch.layers * arch.kvHeads * arch.headDim;
  if (!projection) return preSeqLen * kvSize;
  const h = arch.hidden;
  return preSeqLen * h + (h * h + h) + (h * kvSize + kvSize);
}

export function paramCounts(arch: ModelArch, totalParams: number, method: MethodSpec, chatglmNames: boolean): ParamCounts {
  switch (method.kind) {
    case 'full':
      return { trainable: totalParams, added: 0 };
    case 'freeze': {
      const layers = Math.min(method.trainableLayers, arch.layers);
      return { trainable: layers * arch.layerParams, added: 0 };
    }
    case 'lora': {
      const perLayer = loraShapes(arch, method.targets, chatglmNames).reduce((sum, [i, o]) => sum + method.rank * (i + o), 0);
      const added = perLayer * arch.layers;
      return { trainable: added, added };
    }
    case 'ptuning': {
      // v1: a soft prompt on the input embeddings only (pre_seq_len x hidden).
      const added = method.version === 2 ? prefixEncoderParams(arch, method.preSeqLen, method.projection) : method.preSeqLen * arch.hidden;
      return { trainable: added, added };
    }
  }
}
