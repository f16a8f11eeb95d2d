import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from './database.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded data folder. */
try {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    await database.migrate();
    process.stdout.write(`Migrations applied (${config.database.kind}).\n`);
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(
    `${error instanceof ConfigError ? '' : 'Migration failed: '}${(error as Error).message}\n`,
  );
  process.exit(1);
}
