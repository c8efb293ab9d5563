/** Writes docs/openapi.json from the live route definitions (`npm run openapi`). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/config.js';
import { closeContext, createContext } from '../src/context.js';
import { buildApp } from '../src/http/app.js';
import { openPglite } from '../src/platform/db/pglite.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-openapi-'));
const config = loadConfig({ ORDERSYS_DATA_DIR: dir, ORDERSYS_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' });
const ctx = await createContext(config, pino({ level: 'silent' }), 'api', { db: await openPglite(undefined) });
const app = await buildApp(ctx);
await app.ready();
const doc = app.swagger();
writeFileSync('docs/openapi.json', `${JSON.stringify(doc, null, 2)}\n`);
await app.close();
await closeContext(ctx);
rmSync(dir, { recursive: true, force: true });
console.log(`docs/openapi.json: ${Object.keys(doc.paths ?? {}).length} paths`);
