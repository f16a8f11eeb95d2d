import { loadConfig } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { checkLedgerInvariants } from './invariants.js';

/** `npm run ledger:check`: exits 0 when every ledger invariant holds, 1 with the violations otherwise. */
try {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    await database.migrate();
    const report = await checkLedgerInvariants(database.db);
    const { transactions, entries, wallets, pendingHolds } = report.counts;
    process.stdout.write(
      `Ledger: ${transactions} transactions, ${entries} entries, ${wallets} wallets, ${pendingHolds} pending holds.\n`,
    );
    if (report.ok) {
      process.stdout.write('All invariants hold.\n');
    } else {
      for (const v of report.violations)
        process.stdout.write(`VIOLATION ${v.rule} ${v.subject}: ${v.detail}\n`);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`Ledger check failed: ${(error as Error).message}\n`);
  process.exit(2);
}
