// The checkpoint's destination, checked before training: the file is opened (created) next to its final
// name at the start, so an unwritable or missing directory fails in the first second, not after the run.
// The bytes land there at the end and are renamed into place, so a failed run never leaves a half file.
import { open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

export interface PendingOutput {
  readonly path: string;
  /** Writes the bytes and moves them to `path`. */
  commit(bytes: Uint8Array): Promise<void>;
  /** Removes the pending file (the run failed). */
  discard(): Promise<void>;
}

const code = (error: unknown) => (error as { code?: string }).code;

/** Opens a pending file for `file`; a UsageError naming `flag` when it cannot be written. */
export async function openOutput(flag: string, file: string): Promise<PendingOutput> {
  const path = resolve(file);
  const existing = await stat(path).catch((error: unknown) => (code(error) === 'ENOENT' ? undefined : Promise.reject(error)));
  if (existing?.isDirectory()) throw new UsageError(`${flag}: ${file} is a directory; give a file name`);
  const dir = dirname(path);
  const folder = await stat(dir).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UsageError(`${flag}: the directory ${dir} does not exist`);
  const pending = join(dir, `.${basename(path)}.${process.pid}.partial`);
  let handle: FileHandle;
  try {
    handle = await open(pending, 'wx');
  } catch (error) {
    throw new UsageError(`${flag}: cannot write in ${dir} (${code(error) ?? (error as Error).message})`);
  }
  let closed = false;
  const close = async () => {
    if (!closed) await handle.close();
    closed = true;
  };
  return {
    path,
    async commit(bytes) {
      await handle.writeFile(bytes);
      await close();
      await rename(pending, path);
    },
    async discard() {
      await close();
      await unlink(pending).catch(() => undefined);
    },
  };
}
