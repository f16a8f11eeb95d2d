/**
 * Fan-out of "verification X changed" across instances, so an SSE subscriber on one instance hears
 * a code that arrived through another. Redis pub/sub when Redis is configured; else PostgreSQL
 * LISTEN/NOTIFY on a dedicated connection; else (embedded PGlite, one process) an in-process emitter.
 * The message is only the verification id: subscribers re-read the committed state.
 */
import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logger.js';

const EVENTS_CHANNEL = 'namaskah_verification_events';

export interface VerificationEventBus {
  readonly mode: 'redis' | 'postgres' | 'local';
  /**
   * Announces a committed change without waiting for it to be sent: money paths (purchase, cancel,
   * SMS intake) must not wait on Redis. Never throws; a lost notice is caught by the stream's
   * periodic refresh.
   */
  publish(verificationId: string): void;
  subscribe(verificationId: string, listener: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export interface VerificationEventBusDeps {
  database: Pick<Database, 'kind' | 'db'>;
  config: { database: Config['database'] };
  redis: Redis | undefined;
  logger: Pick<Logger, 'warn'>;
}
type BusDeps = VerificationEventBusDeps;

const ID = /^[0-9a-f-]{36}$/;

export function createVerificationEventBus(deps: BusDeps): VerificationEventBus {
  const { redis, database, config, logger } = deps;
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const deliver = (id: string) => {
    if (ID.test(id)) local.emit(id);
  };

  if (redis) return redisBus(redis, local, deliver, logger);
  if (database.kind === 'pg' && config.database.kind === 'pg') {
    return postgresBus(deps, config.database.url, local, deliver);
  }
  // One embedded process: its one bus (built once by the composition root) reaches every subscriber.
  return {
    mode: 'local',
    publish(id) {
      deliver(id);
    },
    async subscribe(id, listener) {
      local.on(id, listener);
      return () => local.off(id, listener);
    },
    async close() {
      local.removeAllListeners();
    },
  };
}

function redisBus(
  redis: Redis,
  local: EventEmitter,
  deliver: (id: string) => void,
  logger: BusDeps['logger'],
): VerificationEventBus {
  let subscriber: Redis | null = null;
  let ready: Promise<void> | null = null;
  let lastFailureLog = 0;
  const connect = () => {
    if (!ready) {
      // A subscriber connection takes no other commands: nothing to pipeline.
      const s = redis.duplicate({ enableAutoPipelining: false });
      subscriber = s;
      s.on('error', () => undefined);
      s.on('message', (_channel: string, message: string) => deliver(message));
      ready = s.subscribe(EVENTS_CHANNEL).then(() => undefined);
      ready.catch((error: unknown) => {
        logger.warn({ err: error }, 'verification events: Redis subscribe failed');
        // The next subscriber tries afresh: drop this connection rather than keep one per attempt.
        if (subscriber === s) subscriber = null;
        s.disconnect();
        ready = null;
      });
    }
    return ready;
  };
  return {
    mode: 'redis',
    publish(id) {
      // Not connected: queueing the notice would only deliver it late; the streams refresh anyway.
      if (redis.status !== 'ready') return;
      redis.publish(EVENTS_CHANNEL, id).catch((error: unknown) => {
        // One line a minute: a frozen Redis fails every publish.
        if (Date.now() - lastFailureLog < 60_000) return;
        lastFailureLog = Date.now();
        logger.warn({ err: error }, 'verification events: Redis publish failed');
      });
    },
    async subscribe(id, listener) {
      local.on(id, listener);
      await connect().catch(() => undefined);
      return () => local.off(id, listener);
    },
    async close() {
      local.removeAllListeners();
      const s = subscriber;
      subscriber = null;
      ready = null;
      if (s) s.disconnect();
    },
  };
}

function postgresBus(
  deps: BusDeps,
  url: string,
  local: EventEmitter,
  deliver: (id: string) => void,
): VerificationEventBus {
  let client: pg.Client | null = null;
  let ready: Promise<void> | null = null;
  let closed = false;
  const connect = () => {
    if (!ready && !closed) {
      const c = new pg.Client({ connectionString: url, application_name: 'namaskah-events' });
      client = c;
      c.on('notification', (msg) => {
        if (msg.channel === EVENTS_CHANNEL && msg.payload) deliver(msg.payload);
      });
      c.on('error', () => {
        // Reconnect on the next subscribe; streams refresh periodically meanwhile.
        ready = null;
        client = null;
        void c.end().catch(() => undefined);
      });
      ready = c
        .connect()
        .then(() => c.query(`LISTEN ${EVENTS_CHANNEL}`))
        .then(() => undefined);
      ready.catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'verification events: LISTEN failed');
        ready = null;
        client = null;
      });
    }
    return ready ?? Promise.resolve();
  };
  return {
    mode: 'postgres',
    publish(id) {
      deps.database.db.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${id})`).catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'verification events: NOTIFY failed');
      });
    },
    async subscribe(id, listener) {
      local.on(id, listener);
      await connect().catch(() => undefined);
      return () => local.off(id, listener);
    },
    async close() {
      closed = true;
      local.removeAllListeners();
      const c = client;
      client = null;
      ready = null;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
