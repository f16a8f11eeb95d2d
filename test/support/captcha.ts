import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import type { FastifyInstance } from 'fastify';

/**
 * Fetches a captcha challenge (of `level`, when a sign-in asked for a harder one) from the app and
 * solves it in Node, as the browser widget would.
 */
export async function solveCaptcha(
  app: FastifyInstance,
  remoteAddress = '127.0.0.1',
  level?: number,
): Promise<string> {
  const url = `/api/v1/captcha/challenge${level === undefined ? '' : `?level=${level}`}`;
  const response = await app.inject({ method: 'GET', url, remoteAddress });
  if (response.statusCode !== 200)
    throw new Error(`captcha challenge failed: ${response.statusCode} ${response.body}`);
  const challenge = response.json<Challenge>();
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('captcha could not be solved');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}
