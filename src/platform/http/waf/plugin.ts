/**
 * The WAF as Fastify hooks (SPEC §5). Call `registerWaf(app, options)` on the root instance before
 * the routes are registered:
 *  - `onRequest`: IP blocklist, temporary bans, then the rules on path, query string and headers;
 *  - `preHandler`: the rules on the parsed body (JSON or form), secret fields excluded.
 *
 * `block` mode answers 403 `{"error":{"code":"request_blocked",…}}` without echoing anything of the
 * request, and counts a strike towards a temporary ban. `monitor` mode logs the rule and location
 * and lets the request through (no strikes are counted). The blocklist is enforced in both modes:
 * it is an operator's explicit decision, not a heuristic.
 *
 * Logged: rule id, location (`query.q`, `body.profile.name`), client address, method and path —
 * never a value, so secret fields and payloads stay out of the logs.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../../errors.js';
import { IpBlocklist } from './blocklist.js';
import type { BlocklistLoadResult } from './blocklist.js';
import { MemoryBanStore, OffenderBans } from './bans.js';
import type { BanStore } from './bans.js';
import { inspectBody, inspectHeaders, inspectPath, inspectQuery } from './inspection.js';
import type { WafMatch } from './inspection.js';

export interface WafOptions {
  mode: 'block' | 'monitor';
  /** One IP or CIDR per line, `#` comments. Read at registration; `reloadBlocklist()` re-reads it. */
  blocklistFile?: string;
  /** Blocked requests within `banWindowMs` that earn a ban. */
  banThreshold: number;
  banWindowMs: number;
  banDurationMs: number;
  logger: Pick<FastifyBaseLogger, 'warn' | 'info' | 'error'>;
  /** Where strikes and bans are kept; in memory by default (use a shared store with several instances). */
  banStore?: BanStore;
  /** Extra body/query field names never inspected (added to the built-in secret names). */
  skipFields?: string[];
  /**
   * Path prefixes whose bodies are not inspected, e.g. `['/api/v1/hooks/']`: provider webhooks
   * carry SMS text written by anyone, and they are authenticated by signature instead.
   */
  skipBodyPaths?: string[];
}

export interface WafHandle {
  blocklist: IpBlocklist;
  bans: OffenderBans;
  /** Re-reads the blocklist file; on failure the previous list stays in force (and it throws). */
  reloadBlocklist(): Promise<BlocklistLoadResult>;
}

const BLOCKED_BODY = {
  error: { code: 'request_blocked', message: 'The request was blocked by the application firewall.' },
} as const satisfies ErrorBody;

export async function registerWaf(app: FastifyInstance, options: WafOptions): Promise<WafHandle> {
  const log = options.logger;
  const blocklist = new IpBlocklist(options.blocklistFile);
  const bans = new OffenderBans(options.banStore ?? new MemoryBanStore(), {
    threshold: options.banThreshold,
    windowMs: options.banWindowMs,
    durationMs: options.banDurationMs,
  });
  const inspectOptions = { skipFields: options.skipFields ?? [] };
  const skipBodyPaths = options.skipBodyPaths ?? [];

  const reloadBlocklist = async () => {
    const result = await blocklist.reload();
    if (result.invalid.length > 0) {
      log.warn(
        { waf: { invalidBlocklistLines: result.invalid.map((i) => i.line) } },
        'WAF blocklist has invalid lines',
      );
    }
    log.info({ waf: { blocklistEntries: result.entries } }, 'WAF blocklist loaded');
    return result;
  };
  if (options.blocklistFile) await reloadBlocklist();

  const deny = (reply: FastifyReply) =>
    reply.code(403).header('cache-control', 'no-store').send(BLOCKED_BODY);

  const onMatch = async (request: FastifyRequest, reply: FastifyReply, match: WafMatch) => {
    const context = {
      waf: { rule: match.rule, location: match.location, mode: options.mode },
      ip: request.ip,
      method: request.method,
      path: pathOf(request.url).slice(0, 200),
    };
    if (options.mode === 'monitor') {
      log.warn(context, 'WAF rule matched (monitor mode)');
      return undefined;
    }
    const { banned, strikes } = await bans.recordOffence(request.ip);
    log.warn({ ...context, waf: { ...context.waf, strikes, banned } }, 'WAF blocked a request');
    return deny(reply);
  };

  app.addHook('onRequest', async (request, reply) => {
    if (blocklist.size > 0 && blocklist.contains(request.ip)) {
      log.warn(
        { waf: { rule: 'blocklist', mode: options.mode }, ip: request.ip },
        'WAF refused a blocklisted address',
      );
      return deny(reply);
    }
    if (await bans.isBanned(request.ip)) {
      return deny(reply);
    }
    const url = request.raw.url ?? request.url;
    const q = url.indexOf('?');
    const match =
      inspectPath(q < 0 ? url : url.slice(0, q)) ??
      (q < 0 ? null : inspectQuery(url.slice(q + 1), inspectOptions)) ??
      inspectHeaders(request.headers);
    if (match) return onMatch(request, reply, match);
    return undefined;
  });

  app.addHook('preHandler', async (request, reply) => {
    const body = request.body;
    if (body === undefined || body === null || Buffer.isBuffer(body)) return undefined;
    const path = pathOf(request.url);
    if (skipBodyPaths.some((prefix) => path.startsWith(prefix))) return undefined;
    const match = inspectBody(body, inspectOptions);
    if (match) return onMatch(request, reply, match);
    return undefined;
  });

  return { blocklist, bans, reloadBlocklist };
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
