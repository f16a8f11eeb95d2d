import { type AppSecrets, SEALED_MFA_SECRETS, createSealer } from './modules/accounts/index.js';
import { SEALED_RESPONSES } from './modules/idempotency/index.js';
import { SEALED_WEBHOOK_SECRETS } from './modules/webhooks/index.js';
import type { SqlClient } from './platform/db/database.js';
import { type ResealCount, resealColumn } from './platform/db/reseal.js';

/** Everything sealed with a key derived from APP_SECRET. */
const SEALED_DATA = [SEALED_MFA_SECRETS, SEALED_WEBHOOK_SECRETS, SEALED_RESPONSES];

export interface ResealReport {
  columns: (ResealCount & { column: string })[];
  resealed: number;
  unreadable: number;
}

/**
 * The re-seal step of an APP_SECRET rotation: every value sealed with a fallback secret is sealed
 * again with the current one, so the fallback can then be removed (docs/deploy.md).
 */
export async function resealAll(sql: SqlClient, secrets: AppSecrets): Promise<ResealReport> {
  const report: ResealReport = { columns: [], resealed: 0, unreadable: 0 };
  for (const data of SEALED_DATA) {
    const sealer = createSealer(secrets, data.purpose);
    for (const column of data.columns) {
      const count = await resealColumn(sql, column, sealer);
      report.columns.push({ column: `${column.table}.${column.column}`, ...count });
      report.resealed += count.resealed;
      report.unreadable += count.unreadable;
    }
  }
  return report;
}
