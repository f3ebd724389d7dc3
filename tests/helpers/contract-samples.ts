// Builds a small valid request for any contract call from its zod schema, so the security tests
// can reach EVERY call (and every path field) without a hand-written request per call. A call
// whose schema the generator cannot satisfy gets an entry in SAMPLE_OVERRIDES (the test says so).
import type { z } from 'zod';
import { pathFields } from '../../electron/shared/contract/path-field';

/** Hand-written requests for calls the generator cannot build (name → request). */
export const SAMPLE_OVERRIDES: Record<string, unknown> = {
  // A token is one word of 8+ printable characters; the generator's string does not qualify.
  'hub.setToken': { token: 'hf_sample_token' },
};

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  in?: z.ZodType;
  items?: z.ZodType[];
  format?: string;
  checks?: { _zod: { def: { check?: string; minimum?: number; value?: number; format?: string } } }[];
  defaultValue?: unknown;
  getter?: () => z.ZodType;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Does the schema contain a path field anywhere? */
export function hasPathField(schema: z.ZodType, depth = 0): boolean {
  if (depth > 20) return false;
  if (pathFields.get(schema)) return true;
  const def = defOf(schema);
  const children = [def.innerType, def.element, def.valueType, def.in, ...(def.options ?? []), ...(def.items ?? []), ...Object.values(def.shape ?? {})];
  if (def.type === 'lazy' && def.getter) children.push(def.getter());
  return children.some((c) => c !== undefined && hasPathField(c, depth + 1));
}

/**
 * A sample value for `schema`; path fields get `pathValue`. Optional fields are included only
 * when they hold a path field (so every path field is exercised).
 */
export function sampleFor(schema: z.ZodType, pathValue: string, depth = 0): unknown {
  if (depth > 20) return undefined;
  if (pathFields.get(schema)) return pathValue;
  const def = defOf(schema);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string': {
      if (def.format === 'url') return 'https://example.com/';
      if (def.format === 'email') return 'a@example.com';
      if (def.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      const min = checks.find((c) => c.check === 'min_length')?.minimum ?? 1;
      return 'sample'.padEnd(min, 'x');
    }
    case 'number': {
      const min = checks.find((c) => c.check === 'greater_than')?.value;
      return min === undefined ? 1 : Math.ceil(min) + 1;
    }
    case 'int':
    case 'bigint':
      return 1;
    case 'boolean':
      return false;
    case 'enum':
      return Object.values(def.entries ?? {})[0];
    case 'literal':
      return def.values?.[0];
    case 'null':
      return null;
    case 'optional':
      return def.innerType && hasPathField(def.innerType) ? sampleFor(def.innerType, pathValue, depth + 1) : undefined;
    case 'default':
    case 'prefault':
      return def.innerType && hasPathField(def.innerType) ? sampleFor(def.innerType, pathValue, depth + 1) : undefined;
    case 'nullable':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return def.innerType ? sampleFor(def.innerType, pathValue, depth + 1) : undefined;
    case 'pipe':
      return def.in ? sampleFor(def.in, pathValue, depth + 1) : undefined;
    case 'lazy':
      return def.getter ? sampleFor(def.getter(), pathValue, depth + 1) : undefined;
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        const value = sampleFor(child, pathValue, depth + 1);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    case 'array': {
      const min = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
      const n = Math.max(min, def.element && hasPathField(def.element) ? 1 : 0);
      return Array.from({ length: n }, () => sampleFor(def.element!, pathValue, depth + 1));
    }
    case 'tuple':
      return (def.items ?? []).map((item) => sampleFor(item, pathValue, depth + 1));
    case 'record':
      return def.valueType && hasPathField(def.valueType) ? { key: sampleFor(def.valueType, pathValue, depth + 1) } : {};
    case 'union': {
      const options = def.options ?? [];
      const withPath = options.find((o) => hasPathField(o)) ?? options[0];
      return withPath ? sampleFor(withPath, pathValue, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}
