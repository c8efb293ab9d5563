import { z } from 'zod';
import type { ImportRow } from './import.repository.js';

const iso = z.string().describe('ISO 8601 timestamp');

export const importDto = z.object({
  id: z.uuid(),
  fileName: z.string(),
  fileSha256: z.string().nullable(),
  format: z.string(),
  options: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'running', 'completed', 'failed']),
  phase: z.enum(['reading', 'materializing', 'completed']),
  source: z.enum(['cli', 'http']),
  bytesTotal: z.number().int().nullable(),
  bytesRead: z.number().int(),
  progress: z.number().min(0).max(1).describe('0..1 over both phases: reading is the first half, materializing the second'),
  counts: z.object({
    linesRead: z.number().int()
      .describe('data lines read: not the header, nor blank lines (empty, or every field empty like the ,,,, padding rows of a spreadsheet); accepted + rejected once completed'),
    linesAccepted: z.number().int(),
    linesRejected: z.number().int(),
    linesStaged: z.number().int().describe('accepted when read, waiting for (or through) phase 2'),
    ordersCreated: z.number().int(),
    ordersExisting: z.number().int().describe('order codes already present in the tenant: not created again'),
    ordersRejected: z.number().int(),
  }),
  error: z.string().nullable(),
  createdAt: iso,
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
});
export type ImportDto = z.infer<typeof importDto>;

/** Reading counts for the first half (by bytes, when the size is known), materializing the second (by lines). */
export function importProgress(imp: ImportRow): number {
  if (imp.phase === 'completed') return 1;
  if (imp.phase === 'reading') return imp.bytesTotal ? Math.min(1, imp.bytesRead / imp.bytesTotal) / 2 : 0;
  const rejectedWhenRead = imp.linesRead - imp.linesStaged;
  const done = imp.linesAccepted + imp.linesRejected - rejectedWhenRead;
  return imp.linesStaged === 0 ? 0.5 : 0.5 + Math.min(1, done / imp.linesStaged) / 2;
}

const isoOf = (d: Date | null) => (d ? d.toISOString() : null);

export function toImportDto(imp: ImportRow): ImportDto {
  return {
    id: imp.id,
    fileName: imp.fileName,
    fileSha256: imp.fileSha256,
    format: imp.format,
    options: { ...imp.options },
    status: imp.status,
    phase: imp.phase,
    source: imp.source,
    bytesTotal: imp.bytesTotal,
    bytesRead: imp.bytesRead,
    progress: importProgress(imp),
    counts: {
      linesRead: imp.linesRead, linesAccepted: imp.linesAccepted, linesRejected: imp.linesRejected, linesStaged: imp.linesStaged,
      ordersCreated: imp.ordersCreated, ordersExisting: imp.ordersExisting, ordersRejected: imp.ordersRejected,
    },
    error: imp.error,
    createdAt: imp.createdAt.toISOString(),
    startedAt: isoOf(imp.startedAt),
    finishedAt: isoOf(imp.finishedAt),
  };
}
