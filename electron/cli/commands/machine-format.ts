// Plain-text tables for the machine commands (doctor, inspect, recommend, presets).

/** Bytes as GiB with one decimal; "?" for unknown (never 0). */
export function gib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined || !Number.isFinite(bytes) ? '?' : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

export function orUnknown(value: number | string | null | undefined, unit = ''): string {
  return value === null || value === undefined || value === '' ? '?' : `${value}${unit}`;
}

/** Left-aligned columns, two spaces apart, a dashed rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

/** Splits "0,1" into GPU indices; throws on anything else. */
export function parseIndexList(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) throw new Error(`--gpus takes indices like 0,1 (got "${text}")`);
  return parts.map(Number);
}
