import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';

/** Why writing the report failed, in words a user can act on. */
const REASON_BY_CODE = {
  EISDIR: 'it is a directory',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file would be too large',
} as const satisfies Record<string, string>;

/**
 * Writes a report to stdout, or to `file` atomically: the whole text goes to a temporary file
 * beside it, which is then renamed over it, so a failed or interrupted write leaves the previous
 * report intact. Failures throw an Error with a one-line message naming the file.
 *
 * Not write-file-atomic: its single `fs.write` ignores short writes (disk full, quota, file-size
 * limit), so it renames a truncated file over the old one and reports success.
 * `FileHandle.writeFile` writes until every byte is down or throws.
 */
export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
    return;
  }
  await writeFileAtomically(file, text);
}

/** Replaces `file` with `text` whole or not at all (reports, policies written by `init`). */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  // Through a symlink to its target, as editors do, so the link is kept.
  const target = await realpath(file).catch(() => file);
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const existing = await stat(target).catch(() => undefined);
    const handle = await open(temporary, 'wx', existing?.mode ?? 0o666);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write ${file}: ${describeWriteError(error)}`);
  }
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in REASON_BY_CODE) return REASON_BY_CODE[code as keyof typeof REASON_BY_CODE];
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
