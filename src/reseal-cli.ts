import { loadConfig } from './platform/config.js';
import { openDatabase } from './platform/db/database.js';
import { resealAll } from './reseal.js';

/**
 * `npm run secrets:reseal`, step 3 of an APP_SECRET rotation: re-seals what the fallbacks sealed.
 * Exits 0 when nothing is left that only a fallback opens, 1 when a value no secret opens remains.
 */
try {
  const config = loadConfig();
  if (config.appSecretFallbacks.length === 0) {
    process.stdout.write('APP_SECRET_FALLBACKS is empty: every value is already sealed with APP_SECRET.\n');
  }
  const database = await openDatabase(config.database);
  try {
    await database.migrate();
    const report = await resealAll(database.sql, config);
    for (const c of report.columns) {
      process.stdout.write(
        `${c.column}: ${c.checked} sealed, ${c.resealed} re-sealed, ${c.unreadable} unreadable\n`,
      );
    }
    process.stdout.write(`Re-sealed ${report.resealed} value(s) with the current APP_SECRET.\n`);
    if (report.unreadable > 0) {
      process.stdout.write(
        `${report.unreadable} value(s) open with no configured secret: add the secret that sealed them to APP_SECRET_FALLBACKS and run again.\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`Re-seal failed: ${(error as Error).message}\n`);
  process.exit(2);
}
