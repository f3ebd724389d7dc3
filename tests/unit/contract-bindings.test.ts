// The one contract, checked as a whole: every call documented, strict, samplable and bound to a
// handler; every topic documented; nothing bound that the contract does not declare.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calls, topics } from '../../electron/shared/contract';
import type { CallSpec } from '../../electron/shared/contract/define';
import { bindings, handlers } from '../../electron/api/handlers';
import { pathFieldLocations } from '../../electron/api/path-fields';
import { SAMPLE_OVERRIDES, sampleFor } from '../helpers/contract-samples';

const callNames = Object.keys(calls) as (keyof typeof calls)[];

describe('the contract', () => {
  it('declares the host calls', () => {
    expect(callNames).toEqual(expect.arrayContaining(['app.info', 'system.pickPath', 'system.allowedRoots']));
  });

  for (const name of callNames) {
    describe(name, () => {
      const spec = calls[name];
      it('is named <feature>.<action>', () => {
        expect(name).toMatch(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/);
      });
      it('has a doc string that says what it does', () => {
        expect(spec.doc.trim().length, `${name}: write a one-line doc`).toBeGreaterThan(15);
      });
      it('has a handler bound in electron/api', () => {
        expect(typeof (handlers as Record<string, unknown>)[name], `${name} has no binding in electron/api/handlers.ts`).toBe('function');
      });
      it('has a strict request schema that rejects extra keys and wrong types', () => {
        const sample = SAMPLE_OVERRIDES[name] ?? sampleFor(spec.request, '/tmp/x');
        const ok = spec.request.safeParse(sample);
        expect(ok.success, `${name}: cannot build a valid sample request — add one to SAMPLE_OVERRIDES (${JSON.stringify(ok.error?.issues[0])})`).toBe(true);
        expect(spec.request.safeParse({ ...(sample as object), __proto_pollution__: 1 }).success, `${name}: use z.strictObject for the request`).toBe(false);
        expect(spec.request.safeParse('not an object').success).toBe(false);
        expect(spec.request.safeParse([]).success).toBe(false);
      });
    });
  }

  it('binds nothing that the contract does not declare', () => {
    const extra = Object.keys(handlers).filter((name) => !Object.hasOwn(calls, name));
    expect(extra).toEqual([]);
  });

  describe('one binding file per contract file', () => {
    const root = join(__dirname, '../../electron');
    const stems = (dir: string) =>
      readdirSync(join(root, dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => f.slice(0, -3))
        .sort();
    // A contract file's calls: its exported `<feature>Calls` object (define.ts, index.ts and
    // path-field.ts declare none).
    const contractCalls = async (stem: string): Promise<string[]> => {
      const module = (await import(`../../electron/shared/contract/${stem}.ts`)) as Record<string, unknown>;
      return Object.entries(module)
        .filter(([key]) => key.endsWith('Calls'))
        .flatMap(([, value]) => Object.keys(value as Record<string, CallSpec>))
        .sort();
    };

    it('has a bindings/<name>.ts for each contract/<name>.ts that declares calls, and no other', async () => {
      const withCalls: string[] = [];
      for (const stem of stems('shared/contract')) if ((await contractCalls(stem)).length > 0) withCalls.push(stem);
      expect(stems('api/bindings')).toEqual(withCalls);
      expect(Object.keys(bindings).sort()).toEqual(withCalls);
    });

    for (const [stem, bound] of Object.entries(bindings)) {
      it(`bindings/${stem}.ts binds exactly the calls of contract/${stem}.ts`, async () => {
        expect(Object.keys(bound).sort()).toEqual(await contractCalls(stem));
      });
    }
  });

  for (const [name, spec] of Object.entries(topics)) {
    it(`topic ${name} has a doc string`, () => {
      expect(spec.doc.trim().length).toBeGreaterThan(15);
    });
  }

  it('marks path-like request fields with localPath() so the path guard checks them', () => {
    // A field whose name says "path"/"dir"/"folder"/"file" but is a plain string would skip the
    // path guard. typedPath (system.pickPath) is the one exception: it is what the user picks.
    const suspicious: string[] = [];
    const walk = (schema: unknown, at: string[], marked: Set<string>, call: string) => {
      const def = (schema as { _zod?: { def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; element?: unknown } } })._zod?.def;
      if (!def) return;
      if (def.type === 'string') {
        const field = at.join('.');
        const leaf = at[at.length - 1] ?? '';
        if (/(path|dir|folder|file)$/i.test(leaf) && !marked.has(field) && `${call}:${field}` !== 'system.pickPath:typedPath') {
          suspicious.push(`${call}: ${field}`);
        }
      }
      if (def.innerType) walk(def.innerType, at, marked, call);
      if (def.element) walk(def.element, [...at, '0'], marked, call);
      for (const [k, v] of Object.entries(def.shape ?? {})) walk(v, [...at, k], marked, call);
    };
    for (const name of callNames) {
      const marked = new Set(pathFieldLocations(calls[name].request).map((l) => l.field));
      walk(calls[name].request, [], marked, name);
    }
    expect(suspicious, 'declare these with localPath() from electron/shared/contract/path-field.ts').toEqual([]);
  });
});
