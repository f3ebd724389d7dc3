// Reads safetensors HEADERS only: 8-byte little-endian header length, then a JSON object
// {name: {dtype, shape, data_offsets}, "__metadata__": {...}}. The tensor bytes are never read,
// so inspecting a 70B model costs a few kilobytes of I/O.
import { open, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Headers larger than this are not a sane safetensors file (the format itself caps them at 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsSummary {
  /** Sum of the element counts of every tensor. */
  params: number;
  /** Element counts per dtype ("F16", "BF16", "F32", ...). */
  paramsByDtype: Record<string, number>;
  tensorNames: string[];
}

export class SafetensorsError extends Error {}

interface TensorEntry {
  dtype?: unknown;
  shape?: unknown;
}

/** Parses one safetensors file's header. Throws SafetensorsError naming the file and what is wrong. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsSummary> {
  const handle = await open(file, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    const { bytesRead } = await handle.read(lengthBytes, 0, 8, 0);
    if (bytesRead < 8) throw new SafetensorsError(`${file}: shorter than 8 bytes, not a safetensors file (re-download it)`);
    const length = lengthBytes.readBigUInt64LE(0);
    const { size } = await handle.stat();
    if (length === 0n || length > BigInt(MAX_HEADER_BYTES) || length + 8n > BigInt(size)) {
      throw new SafetensorsError(
        `${file}: header length ${length} does not fit a ${size}-byte file; the file is truncated or not safetensors (re-download it)`,
      );
    }
    const header = Buffer.alloc(Number(length));
    await handle.read(header, 0, header.length, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(header.toString('utf8'));
    } catch {
      throw new SafetensorsError(`${file}: the header is not valid JSON; the file is damaged (re-download it)`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SafetensorsError(`${file}: the header is not a JSON object`);
    }
    return summarize(file, parsed as Record<string, TensorEntry>);
  } finally {
    await handle.close();
  }
}

function summarize(file: string, header: Record<string, TensorEntry>): SafetensorsSummary {
  const summary: SafetensorsSummary = { params: 0, paramsByDtype: {}, tensorNames: [] };
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const shape = entry?.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${file}: tensor "${name}" has no valid shape in the header`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const dtype = typeof entry.dtype === 'string' ? entry.dtype : 'unknown';
    summary.params += count;
    summary.paramsByDtype[dtype] = (summary.paramsByDtype[dtype] ?? 0) + count;
    summary.tensorNames.push(name);
  }
  return summary;
}

/**
 * The weight files of a directory: the shards named by model.safetensors.index.json when it
 * exists (so stray extra files are not double counted), otherwise every *.safetensors file.
 */
export async function safetensorsFiles(dir: string, entries: string[]): Promise<string[]> {
  if (entries.includes('model.safetensors.index.json')) {
    const indexPath = join(dir, 'model.safetensors.index.json');
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8'));
    } catch {
      throw new SafetensorsError(`${indexPath}: not valid JSON; re-download the model's index file`);
    }
    const shards = [...new Set(Object.values(index.weight_map ?? {}))].sort();
    if (shards.length === 0) throw new SafetensorsError(`${indexPath}: weight_map names no shard files`);
    const missing = shards.filter((s) => !entries.includes(basename(s)));
    if (missing.length > 0) {
      throw new SafetensorsError(
        `${dir}: the index names ${missing.length} shard(s) that are missing (${missing.slice(0, 3).join(', ')}); finish the download`,
      );
    }
    return shards.map((s) => join(dir, s));
  }
  return entries.filter((e) => e.endsWith('.safetensors')).sort().map((e) => join(dir, e));
}

/** Reads every shard's header and adds them up. */
export async function summarizeSafetensors(files: string[]): Promise<SafetensorsSummary> {
  const total: SafetensorsSummary = { params: 0, paramsByDtype: {}, tensorNames: [] };
  for (const file of files) {
    const part = await readSafetensorsHeader(file);
    total.params += part.params;
    for (const [dtype, n] of Object.entries(part.paramsByDtype)) total.paramsByDtype[dtype] = (total.paramsByDtype[dtype] ?? 0) + n;
    total.tensorNames.push(...part.tensorNames);
  }
  return total;
}
