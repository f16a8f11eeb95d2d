import PgBoss from 'pg-boss';
import type { SqlClient } from './db/database.js';
import type { Metrics } from './metrics.js';

export interface JobLogger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface JobDefinition<T extends object = object> {
  name: string;
  /** `signal` aborts when the process is stopping: long-running handlers end early. */
  handler: (data: T, context: { signal: AbortSignal }) => Promise<void>;
  /** Cron expression, for periodic work such as sweeps and pruning. */
  cron?: string;
  /**
   * Also run once as soon as this process starts working: a cron job otherwise first runs at the
   * next minute, which is too late for work a person waits on (polling for an SMS).
   */
  startNow?: boolean;
  retryLimit?: number;
}

/**
 * Durable background work on pg-boss, on the same database as everything else (PostgreSQL or
 * PGlite). Jobs survive restarts and crashes: a job a crashed worker held is retried.
 */
export class Jobs {
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<never>>();
  private running = false;
  /** Set by `start`: sends wait for it, so a server can serve while its queue is still starting. */
  private starting: Promise<void> | undefined;
  private queuesReady = false;
  private readonly stopping = new AbortController();

  constructor(
    sql: SqlClient,
    private readonly logger: JobLogger,
    private readonly metrics?: Metrics,
    /**
     * A process that only sends jobs (ROLE=web) runs none of pg-boss's upkeep: the maintenance
     * (supervise) and the cron clock (schedule, with its own polling worker) belong to the processes
     * that work the queues. Each web instance ran them too: ~1.5 % of its CPU under load, and
     * statements on the shared database every few seconds.
     */
    options: { sendOnly?: boolean } = {},
  ) {
    const upkeep = !options.sendOnly;
    this.boss = new PgBoss({
      db: {
        // pg-boss sends multi-statement scripts without parameters; PGlite only runs those through exec.
        executeSql: (text: string, values?: unknown[]) =>
          values && values.length > 0 ? sql.query(text, values) : sql.exec(text),
      },
      schema: 'pgboss',
      supervise: upkeep,
      schedule: upkeep,
      // A cron job is sent at most this late after its minute (pg-boss's default is 30 s).
      cronMonitorIntervalSeconds: 5,
      migrate: true,
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
  }

  define<T extends object>(definition: JobDefinition<T>): void {
    this.definitions.set(definition.name, definition as unknown as JobDefinition<never>);
  }

  /** Creates the queues and schedules; jobs sent meanwhile wait for them. */
  start(): Promise<void> {
    this.starting ??= this.startQueues();
    return this.starting;
  }

  private async startQueues(): Promise<void> {
    await this.boss.start();
    this.running = true;
    // What exists already is read in two statements instead of two per job: a start (embedded:
    // one PGlite connection) found every queue and schedule there and paid ~0.8 s asking anyway.
    // createQueue never changes an existing queue, and a schedule is only rewritten when it differs.
    const [queues, schedules] = await Promise.all([this.boss.getQueues(), this.boss.getSchedules()]);
    const queueNames = new Set(queues.map((queue) => queue.name));
    const cronOf = new Map(schedules.map((schedule) => [schedule.name, schedule.cron]));
    for (const definition of this.definitions.values()) {
      if (!queueNames.has(definition.name)) {
        await this.boss.createQueue(definition.name, {
          name: definition.name,
          retryLimit: definition.retryLimit ?? 5,
          retryBackoff: true,
        });
      }
      if (definition.cron && cronOf.get(definition.name) !== definition.cron) {
        await this.boss.schedule(definition.name, definition.cron);
      }
    }
    this.queuesReady = true;
  }

  /**
   * Starts processing the queues (once they are started). A server calls it once it serves: the
   * first pass over work left from before (sweeps, deliveries) then shares the database with the
   * first requests instead of holding them back.
   */
  async work(): Promise<void> {
    await this.start();
    for (const definition of this.definitions.values()) {
      if (definition.startNow) await this.boss.send(definition.name, {});
      await this.boss.work<object>(definition.name, async (jobs) => {
        for (const job of jobs) {
          try {
            await definition.handler(job.data as never, { signal: this.stopping.signal });
          } catch (error) {
            this.metrics?.jobFailures.inc({ queue: definition.name });
            this.logger.error({ err: error, queue: definition.name, jobId: job.id }, 'job failed');
            throw error;
          }
        }
      });
    }
  }

  async send<T extends object>(
    name: string,
    data: T,
    options: PgBoss.SendOptions = {},
  ): Promise<string | null> {
    await this.starting;
    return this.boss.send(name, data, options);
  }

  /** Runs a job's handler now, in this process (tests and admin triggers). */
  async runNow(name: string, data: object = {}): Promise<void> {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`no job named ${name}`);
    await definition.handler(data as never, { signal: this.stopping.signal });
  }

  async healthy(): Promise<boolean> {
    if (!this.running || !this.queuesReady) return false;
    try {
      await this.boss.getQueues();
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
