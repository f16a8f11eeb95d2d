// First: the embedded database starts on its own thread while the other modules load.
import './platform/db/prestart-embedded.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { isDatabaseUnavailable } from './platform/db/availability.js';
import { startRuntime } from './runtime.js';

/** `npm start`: one process, embedded by default, production when DATABASE_URL is set. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const runtime = await startRuntime(config).catch((error: unknown) => {
    process.stderr.write(`Namaskah could not start: ${(error as Error).message}\n`);
    process.exit(1);
  });

  const mode =
    config.database.kind === 'pglite' ? `embedded (data in ${config.dataDir})` : 'production database';
  if (runtime.url) {
    const port = new URL(runtime.url).port;
    const shown =
      config.host === '0.0.0.0' || config.host === '::' ? `http://localhost:${port}` : runtime.url;
    process.stdout.write(`\nNamaskah is running at ${shown} — ${mode}. Press Ctrl+C to stop.\n\n`);
  } else {
    process.stdout.write(`Namaskah worker running — ${mode}.\n`);
  }

  // pg-boss 10 marks a job completed or failed without awaiting it: with the database gone that
  // promise rejects unhandled, and Node would end the process mid-outage. Those rejections are
  // logged (the job expires and is retried); any other unhandled rejection still ends the process.
  process.on('unhandledRejection', (reason) => {
    if (!isDatabaseUnavailable(reason)) throw reason;
    runtime.app.log.warn({ err: reason }, 'database unavailable (unhandled in a background task)');
  });

  // The embedded database's thread crashed: nothing can be served any more, so say why and stop
  // (a supervisor, or the person, starts it again) rather than answer errors.
  void runtime.database.lost?.then((error) => {
    runtime.app.log.fatal({ err: error }, 'the embedded database stopped');
    process.stderr.write(`Namaskah stopped: the embedded database stopped (${error.message}).\n`);
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.app.log.info({ signal }, 'shutting down');
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * Settles once the server serves. Not a top-level await: npm start runs this file bundled as
 * CommonJS (scripts/serve-bundle.cjs), which saves V8's code cache of the start when this settles.
 */
export const started: Promise<void> = main();
