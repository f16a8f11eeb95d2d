import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', stream), text: () => lines.join('') };
}

describe('the logger', () => {
  it("keeps a failed statement's values out of the log, and what failed in it", () => {
    const { logger, text } = captured();
    const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      detail: 'Key (key_hash)=(6227e6aa0123) already exists.',
    });
    const failed = new DrizzleQueryError(
      'insert into "api_keys" ("key_hash", "secret") values ($1, $2)',
      ['6227e6aa0123', 'v1.sealed-webhook-secret'],
      cause,
    );
    logger.error({ err: failed }, 'request failed');
    const line = text();
    expect(line).not.toContain('6227e6aa0123');
    expect(line).not.toContain('v1.sealed-webhook-secret');
    // What an operator needs is still there: the statement, and PostgreSQL's code and message.
    expect(line).toContain('insert into \\"api_keys\\"');
    expect(line).toContain('22021');
    expect(line).toContain('invalid byte sequence');
  });
});
