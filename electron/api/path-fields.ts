// Finds every localPath() field in a parsed request by walking its zod schema alongside the value,
// so the dispatcher can check each one with the path guard, whatever the call.
import type { z } from 'zod';
import { pathFields, type PathFieldMeta } from '../shared/contract/path-field';

export interface PathFieldValue {
  /** Dotted location in the request, e.g. "model.path" or "files.0". */
  field: string;
  meta: PathFieldMeta;
  value: string;
  /** Replaces the value in the request (with the checked, canonical path). */
  set(value: string): void;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
  items?: z.ZodType[];
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Every path-marked field present in `value` (parsed with `schema`). */
export function collectPathFields(schema: z.ZodType, value: unknown): PathFieldValue[] {
  const found: PathFieldValue[] = [];
  walk(schema, value, [], found, 0);
  return found;
}

function walk(
  schema: z.ZodType,
  value: unknown,
  at: string[],
  found: PathFieldValue[],
  depth: number,
  setter?: (v: string) => void,
): void {
  if (depth > 32 || value === undefined || value === null) return;
  const meta = pathFields.get(schema);
  if (meta && typeof value === 'string') {
    found.push({ field: at.join('.') || '(request)', meta, value, set: setter ?? (() => {}) });
    return;
  }
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      if (def.innerType) walk(def.innerType, value, at, found, depth + 1, setter);
      return;
    case 'pipe':
      if (def.in) walk(def.in, value, at, found, depth + 1, setter);
      return;
    case 'lazy':
      if (def.getter) walk(def.getter(), value, at, found, depth + 1, setter);
      return;
    case 'object':
      if (typeof value !== 'object') return;
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        const obj = value as Record<string, unknown>;
        walk(child, obj[key], [...at, key], found, depth + 1, (v) => (obj[key] = v));
      }
      return;
    case 'array':
      if (!Array.isArray(value) || !def.element) return;
      value.forEach((item, i) => walk(def.element!, item, [...at, String(i)], found, depth + 1, (v) => (value[i] = v)));
      return;
    case 'tuple':
      if (!Array.isArray(value)) return;
      (def.items ?? []).forEach((item, i) => walk(item, value[i], [...at, String(i)], found, depth + 1, (v) => (value[i] = v)));
      return;
    case 'record':
      if (typeof value !== 'object' || !def.valueType) return;
      for (const key of Object.keys(value as object)) {
        const obj = value as Record<string, unknown>;
        walk(def.valueType, obj[key], [...at, key], found, depth + 1, (v) => (obj[key] = v));
      }
      return;
    case 'union':
      // The option that accepts the value is the one whose path fields apply.
      for (const option of def.options ?? []) {
        if (option.safeParse(value).success) {
          walk(option, value, at, found, depth + 1, setter);
          return;
        }
      }
      return;
    default:
      return;
  }
}

/** Every path-marked location a schema can hold (for tests that enumerate path-taking calls). */
export function pathFieldLocations(schema: z.ZodType): { field: string; meta: PathFieldMeta }[] {
  const out: { field: string; meta: PathFieldMeta }[] = [];
  const visit = (s: z.ZodType, at: string[], depth: number) => {
    if (depth > 32) return;
    const meta = pathFields.get(s);
    if (meta) {
      out.push({ field: at.join('.') || '(request)', meta });
      return;
    }
    const def = defOf(s);
    if (def.innerType) visit(def.innerType, at, depth + 1);
    if (def.type === 'pipe' && def.in) visit(def.in, at, depth + 1);
    if (def.type === 'lazy' && def.getter) visit(def.getter(), at, depth + 1);
    if (def.type === 'object') for (const [k, c] of Object.entries(def.shape ?? {})) visit(c, [...at, k], depth + 1);
    if (def.type === 'array' && def.element) visit(def.element, [...at, '0'], depth + 1);
    if (def.type === 'tuple') (def.items ?? []).forEach((c, i) => visit(c, [...at, String(i)], depth + 1));
    if (def.type === 'record' && def.valueType) visit(def.valueType, [...at, 'key'], depth + 1);
    if (def.type === 'union') for (const o of def.options ?? []) visit(o, at, depth + 1);
  };
  visit(schema, [], 0);
  return out;
}
