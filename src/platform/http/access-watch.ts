import type { Logger } from '../logger.js';
import type { Principal } from './principal.js';

/**
 * A long-lived response (an SSE stream) is authenticated once, when it opens; logout, a revoked
 * session, a password reset, a suspension or a revoked API key must still end it. Every few seconds
 * one query per kind (sessions, keys, users) checks what stands behind all open streams of this
 * instance, whatever their number, and the streams whose access ended are told so. A failed check
 * ends nothing: the next one decides (a revocation needs the database too).
 */
export interface AccessWatch {
  /** `lost` is called once, when the principal's session or key is revoked or its user suspended. Returns the unwatch. */
  watch(principal: Principal, lost: () => void): () => void;
  close(): void;
}

/** Of these ids, the ones still good (given by the modules that own sessions, keys and users). */
export interface AccessCheck {
  liveSessionIds(ids: readonly string[]): Promise<string[]>;
  liveApiKeyIds(ids: readonly string[]): Promise<string[]>;
  activeUserIds(ids: readonly string[]): Promise<string[]>;
}

const ACCESS_CHECK_MS = 2_000;

export function createAccessWatch(
  access: AccessCheck,
  logger: Pick<Logger, 'warn'>,
  intervalMs = ACCESS_CHECK_MS,
): AccessWatch {
  const watched = new Map<symbol, { principal: Principal; lost: () => void }>();
  let timer: NodeJS.Timeout | undefined;
  let checking = false;

  const distinct = (pick: (principal: Principal) => string | undefined) => [
    ...new Set(
      [...watched.values()].map(({ principal }) => pick(principal)).filter((id) => id !== undefined),
    ),
  ];

  const check = async () => {
    if (checking || watched.size === 0) return;
    checking = true;
    try {
      const entries = [...watched.entries()];
      const [sessions, keys, users] = (
        await Promise.all([
          access.liveSessionIds(distinct((p) => (p.via === 'api_key' ? undefined : p.sessionId))),
          access.liveApiKeyIds(distinct((p) => (p.via === 'api_key' ? p.apiKeyId : undefined))),
          access.activeUserIds(distinct((p) => p.userId)),
        ])
      ).map((ids) => new Set(ids));
      for (const [id, { principal, lost }] of entries) {
        const credential = principal.via === 'api_key' ? principal.apiKeyId! : principal.sessionId!;
        const live = principal.via === 'api_key' ? keys! : sessions!;
        if (live.has(credential) && users!.has(principal.userId)) continue;
        if (watched.delete(id)) lost();
      }
    } catch (error) {
      logger.warn({ err: error }, 'checking the access behind open streams failed');
    } finally {
      checking = false;
      if (watched.size === 0) stop();
    }
  };

  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    watch(principal, lost) {
      // The authentication plugin always names the session or key; a principal without one is
      // made by module tests (test/support/principal.ts) and has nothing to re-check.
      if ((principal.via === 'api_key' ? principal.apiKeyId : principal.sessionId) === undefined) {
        return () => undefined;
      }
      const id = Symbol('stream');
      watched.set(id, { principal, lost });
      if (!timer) {
        timer = setInterval(() => void check(), intervalMs);
        timer.unref();
      }
      return () => {
        watched.delete(id);
        if (watched.size === 0) stop();
      };
    },
    close() {
      watched.clear();
      stop();
    },
  };
}
