// The exports of a run: <run>/exports/*/export.json, as the export list shows them. A folder
// without export.json is not an export (nothing half-written is ever listed).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { exportListingSchema } from '../../shared/contract/export';

export type ExportListing = z.infer<typeof exportListingSchema>;

const numberOr = (v: unknown) => (typeof v === 'number' ? v : null);
const stringOr = (v: unknown) => (typeof v === 'string' ? v : null);

/** The exports under `exportsDir` (the run's real exports folder), sorted by name; [] when it cannot be read. */
export async function listExports(exportsDir: string): Promise<ExportListing[]> {
  let names: string[] = [];
  try {
    names = (await readdir(exportsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch {
    return [];
  }
  const exports: ExportListing[] = [];
  for (const name of names.sort()) {
    let record: Record<string, unknown> = {};
    try {
      record = JSON.parse(await readFile(join(exportsDir, name, 'export.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // not an export (no export.json): nothing half-written is ever listed
    }
    const verification = (record.verification ?? {}) as Record<string, unknown>;
    exports.push({
      name,
      path: join(exportsDir, name),
      kind: stringOr(record.kind),
      format: stringOr(record.export_format),
      dtype: stringOr(record.dtype),
      step: numberOr(record.step),
      passed: typeof verification.passed === 'boolean' ? verification.passed : null,
      maxAbsLogitDiff: numberOr(verification.max_abs_logit_diff),
      created: numberOr(record.created),
    });
  }
  return exports;
}
