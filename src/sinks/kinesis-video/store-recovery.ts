/**
 * What a previous run left in the fragment store's directory, cleaned up before the ring indexes it: `.tmp`
 * files (writes a crash interrupted) and fragment files whose header or length do not check out are deleted
 * and counted, and stream headers no surviving fragment is sent behind are deleted.
 *
 * Kept apart from the live ring because it runs once, at open, and only decides which files survive; the
 * ring then indexes the survivors (and evicts, in case its bounds shrank since the last run).
 */
import { headerFileName } from './fragment-file.js';
import { removeFile, scanStoreDirectory } from './fragment-files.js';
import type { FragmentStoreEvent, StoredFragment } from './fragment-store.js';

export interface RecoveredDirectory {
  /** The intact fragments, to be indexed. */
  readonly fragments: StoredFragment[];
  /** `.tmp` files deleted. */
  readonly torn: number;
  /** Damaged fragment files deleted (each reported as a 'corrupt' event with phase 'open'). */
  readonly corrupt: number;
}

export async function recoverStoreDirectory(dir: string, onEvent: (event: FragmentStoreEvent) => void): Promise<RecoveredDirectory> {
  const scan = await scanStoreDirectory(dir);
  for (const name of scan.torn) await removeFile(dir, name);
  for (const { name, reason } of scan.damaged) {
    onEvent({ type: 'corrupt', file: name, reason, phase: 'open' });
    await removeFile(dir, name);
  }
  const fragments = scan.fragments.map(({ payloadBytes, ...rest }): StoredFragment => ({ ...rest, bytes: payloadBytes }));
  const used = new Set(fragments.map((f) => f.headerId));
  for (const id of scan.headers) if (!used.has(id)) await removeFile(dir, headerFileName(id));
  return { fragments, torn: scan.torn.length, corrupt: scan.damaged.length };
}
