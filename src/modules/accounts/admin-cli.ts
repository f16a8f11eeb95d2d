import { parseArgs } from 'node:util';
import { loadConfig } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { createAuditService } from '../audit/index.js';
import { createLedgerService } from '../ledger/index.js';
import { type AdminProvisioning, provisionAdmin } from './service.js';

/**
 * `npm run admin:create -- --email you@example.com`: creates an administrator (printing a generated
 * password once) or promotes an existing account. Prompts for nothing. Exits 0 on success, 1 on a
 * bad e-mail address, 2 on any other failure.
 */
const USAGE = 'Usage: npm run admin:create -- --email you@example.com\n';

function describeProvisioning(result: AdminProvisioning): string {
  const { user } = result;
  const lines: string[] = [];
  if (result.outcome === 'created') {
    lines.push(
      `Created the administrator ${user.email} (e-mail address marked confirmed).`,
      '',
      `  Password: ${result.password}`,
      '',
      'This password is shown once and stored only as a hash: keep it in a password manager now.',
    );
  } else if (result.outcome === 'promoted') {
    lines.push(`Promoted ${user.email} to administrator; the password is unchanged.`);
  } else {
    lines.push(`${user.email} is already an administrator; nothing changed.`);
  }
  if (user.status !== 'active')
    lines.push(`Note: this account is ${user.status}; it cannot sign in until reactivated.`);
  lines.push(
    user.mfaEnabled
      ? 'Two-factor authentication is on: the admin routes are open to this account.'
      : 'Admin routes need two-factor authentication: sign in, then turn on TOTP (POST /api/v1/mfa/totp, ' +
          'then /api/v1/mfa/totp/verify) before using them.',
  );
  return `${lines.join('\n')}\n`;
}

let email: string | undefined;
try {
  ({
    values: { email },
  } = parseArgs({ options: { email: { type: 'string' } }, strict: true }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
if (!email) {
  process.stderr.write(USAGE);
  process.exit(1);
}

try {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    await database.migrate();
    process.stdout.write(
      describeProvisioning(
        await provisionAdmin(
          { db: database.db, ledger: createLedgerService(), audit: createAuditService({ db: database.db }) },
          email,
        ),
      ),
    );
  } finally {
    await database.close();
  }
} catch (error) {
  if (error instanceof AppError && error.status === 400) {
    process.stderr.write(`${error.message}\n${USAGE}`);
    process.exit(1);
  }
  process.stderr.write(`Creating the administrator failed: ${(error as Error).message}\n`);
  process.exit(2);
}
