import type { FastifyInstance } from 'fastify';
import { validationFailed } from '../errors.js';

/** Deep enough for any body a route accepts; deeper ones are refused by their schemas anyway. */
const MAX_DEPTH = 32;

/** The JSON path of the first string holding a NUL, or undefined. */
function nulPathIn(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\0')) return path;
    const found = nulPathIn(item, `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * PostgreSQL cannot store U+0000 in text, so a JSON body carrying one (`"a\u0000b"`) would fail
 * deep inside a write as a 500; it is refused up front as what it is, bad input, before any
 * route (or a provider it calls) sees it. The URL's `%00` is the firewall's.
 */
export function registerNulRefusal(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field = nulPathIn(request.body, 'body', 0);
    if (field !== undefined) {
      throw validationFailed('Text must not contain the NUL character (\\u0000).', { field });
    }
  });
}
