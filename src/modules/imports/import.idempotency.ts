import { createHash } from 'node:crypto';
import type { Executor } from '../../platform/db/types.js';
import { DomainError } from '../../platform/errors.js';
import { ABANDONED_UPLOAD_MINUTES } from './import.abandoned.js';
import { measured } from './import-stream.js';
import { findImport, type ImportOptions, type ImportRow } from './import.repository.js';

/*
 * An Idempotency-Key on POST /imports stands for one request: the same file (its SHA-256) sent
 * with the same options. The key is held by the import row (imports.idempotency_key), and the
 * answer to a repeat is that import. What a repeat gets:
 *
 * - other options: IDEMPOTENCY_MISMATCH at once, the body unread.
 * - the first upload still being read (its hash is known only at its end): CONFLICT, to be
 *   retried. A 202 could name an import of another file; importing the body anew could import
 *   the file twice; waiting would hold this upload open for as long as the first one takes.
 * - the same bytes: the stored import (replayed). The body is hashed, never staged.
 * - other bytes: IDEMPOTENCY_MISMATCH. The new file is not imported and the client is told so,
 *   instead of a 202 that silently drops it.
 *
 * A failed upload gives its key back (markImportFailed), so a retry with that key is a new import.
 * That never doubles a file: phase 2 is enqueued in the transaction that ends phase 1, so an
 * upload that failed in phase 1 created no order (and orders are unique per code anyway). An
 * upload cut short by a crash of its server is failed once no lines have arrived for
 * ABANDONED_UPLOAD_MINUTES (import.abandoned.ts), which gives its key back the same way.
 */

export interface UploadRequest {
  idempotencyKey: string;
  fileName: string;
  options: ImportOptions;
  source: AsyncIterable<Uint8Array | string>;
  maxBytes?: number;
}

/** The options that make two uploads different requests, compared whatever their key order. */
function requestFields(fileName: string, o: ImportOptions): Record<string, string> {
  const map = Object.entries(o.map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    fileName, preset: o.preset, map: JSON.stringify(map), createProducts: String(o.createProducts ?? false), defaultStock: String(o.defaultStock ?? 0),
  };
}

function mismatch(key: string, prior: ImportRow, what: string): DomainError {
  return new DomainError(
    'IDEMPOTENCY_MISMATCH',
    `Idempotency-Key "${key}" was already used for import ${prior.id} with ${what}; use a new key to import this file.`,
    { importId: prior.id },
  );
}

/** The import a repeated upload answers with, or the error that says why it cannot (see above). */
export async function replayUpload(ex: Executor, prior: ImportRow, u: UploadRequest): Promise<ImportRow> {
  const key = u.idempotencyKey;
  const before = requestFields(prior.fileName, prior.options);
  const now = requestFields(u.fileName, u.options);
  const differ = Object.keys(now).filter((k) => now[k] !== before[k]);
  if (differ.length > 0) throw mismatch(key, prior, `other options (${differ.join(', ')})`);
  if (prior.fileSha256 === null) {
    throw new DomainError(
      'CONFLICT',
      `Idempotency-Key "${key}" belongs to import ${prior.id}, whose upload is still being read; retry once it has been (GET /imports/${prior.id}). An upload cut short is given up after ${ABANDONED_UPLOAD_MINUTES} minutes without new lines, and its key then imports anew.`,
      { importId: prior.id },
    );
  }
  const hash = createHash('sha256');
  for await (const buf of measured(u.source, null, u.maxBytes ?? Number.MAX_SAFE_INTEGER)) hash.update(buf);
  if (hash.digest('hex') !== prior.fileSha256) throw mismatch(key, prior, 'a different file');
  // Hashing took as long as the upload: the import has moved on meanwhile.
  return (await findImport(ex, prior.tenantId, prior.id)) ?? prior;
}
