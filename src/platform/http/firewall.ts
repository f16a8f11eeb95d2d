/**
 * The application's WAF (`./waf/plugin.ts`) with the settings of `config.waf`. Provider webhooks
 * are authenticated by signature and carry SMS text written by anyone, so their bodies are not
 * inspected. `app.waf.reloadBlocklist()` re-reads the blocklist file (the runtime calls it on SIGHUP).
 * With Redis configured, bans of repeat offenders are shared by every instance.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { registerWaf, type WafHandle } from './waf/plugin.js';
import { RedisBanStore } from './waf/redis-ban-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    waf: WafHandle;
  }
}

const WAF_SKIP_BODY_PATHS = ['/api/v1/hooks/'];

export async function registerFirewall(
  app: FastifyInstance,
  deps: { config: Pick<Config, 'waf' | 'rateLimit'>; logger: Logger; redis: Redis | undefined },
): Promise<WafHandle> {
  let warned = 0;
  const banStore = deps.redis
    ? new RedisBanStore(deps.redis, `${deps.config.rateLimit.keyPrefix}:waf`, {
        onDegraded: (error) => {
          if (Date.now() - warned < 60_000) return;
          warned = Date.now();
          deps.logger.warn({ err: error }, 'WAF bans fall back to this instance while Redis is unavailable');
        },
      })
    : undefined;
  const waf = await registerWaf(app, {
    ...(banStore ? { banStore } : {}),
    mode: deps.config.waf.mode,
    blocklistFile: deps.config.waf.blocklistFile,
    // Ten blocked requests within ten minutes ban the address for fifteen.
    banThreshold: 10,
    banWindowMs: 10 * 60_000,
    banDurationMs: 15 * 60_000,
    logger: deps.logger,
    skipBodyPaths: WAF_SKIP_BODY_PATHS,
  });
  app.decorate('waf', waf);
  return waf;
}
