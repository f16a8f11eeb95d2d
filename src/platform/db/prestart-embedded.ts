/**
 * Imported first by main.ts, so this runs before the rest of the server's modules are evaluated
 * (~0.5 s of a start): an embedded database starts on its own thread meanwhile (pglite-on-thread.ts).
 */
import { loadConfig } from '../config.js';
import { prestartPglite } from './pglite-on-thread.js';

try {
  const { database } = loadConfig();
  if (database.kind === 'pglite') prestartPglite(database.dataDir);
} catch {
  // main() loads the configuration again and reports what is wrong with it.
}
