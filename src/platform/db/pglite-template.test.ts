/* eslint-disable security/detect-non-literal-fs-filename -- temp folders of this test */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSpareCopy, seedFromTemplate, spareCopyOf } from './pglite-template.js';

/** A stand-in template: the mechanics of seeding are about folders, not PostgreSQL. */
function fakeTemplate(): { root: string; template: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'namaskah-seed-'));
  const template = path.join(root, 'pglite-key');
  mkdirSync(path.join(template, 'base', '5'), { recursive: true });
  mkdirSync(path.join(template, 'pg_notify'));
  writeFileSync(path.join(template, 'PG_VERSION'), '17\n');
  writeFileSync(path.join(template, 'base', '5', '1259'), Buffer.alloc(8192, 1));
  return { root, template };
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('seeding a new data folder from the template', () => {
  it('takes the spare copy by renaming it, and copies when there is none', async () => {
    const { root, template } = fakeTemplate();
    roots.push(root);
    await ensureSpareCopy(template);
    expect(readFileSync(path.join(spareCopyOf(template), 'PG_VERSION'), 'utf8')).toBe('17\n');

    const first = path.join(root, 'data-1');
    await seedFromTemplate(template, first);
    expect(existsSync(spareCopyOf(template))).toBe(false);
    const second = path.join(root, 'data-2');
    mkdirSync(second); // an empty folder left by an interrupted start is replaced
    await seedFromTemplate(template, second);

    for (const folder of [first, second]) {
      expect(readFileSync(path.join(folder, 'base', '5', '1259'))).toEqual(Buffer.alloc(8192, 1));
      expect(existsSync(path.join(folder, 'pg_notify'))).toBe(true);
    }
    // The template itself is never handed out.
    expect(existsSync(path.join(template, 'PG_VERSION'))).toBe(true);
  });

  it('makes one spare when several processes refill at once, and leaves nothing half-made', async () => {
    const { root, template } = fakeTemplate();
    roots.push(root);
    await Promise.all([ensureSpareCopy(template), ensureSpareCopy(template), ensureSpareCopy(template)]);
    expect(readFileSync(path.join(spareCopyOf(template), 'PG_VERSION'), 'utf8')).toBe('17\n');
    expect(readdirSync(root).sort()).toEqual(['pglite-key', 'pglite-key.spare']);
  });

  it('removes the half-made copies of processes that died, not those of live ones', async () => {
    const { root, template } = fakeTemplate();
    roots.push(root);
    const spare = spareCopyOf(template);
    // A pid above the kernel's maximum (4,194,304) belongs to no process.
    const dead = `${spare}.99999999.0badc0de`;
    const alive = `${spare}.${process.pid}.0badc0de`;
    for (const folder of [dead, alive]) mkdirSync(path.join(folder, 'base'), { recursive: true });
    await ensureSpareCopy(template);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(path.join(spare, 'PG_VERSION'))).toBe(true);
  });

  it("removes a half-made data folder that a start killed while copying left, not a live start's", async () => {
    const { root, template } = fakeTemplate();
    roots.push(root);
    const folder = path.join(root, 'data', 'pglite');
    const dead = `${folder}.99999999.0badc0de`;
    const alive = `${folder}.${process.pid}.0badc0de`;
    for (const leftover of [dead, alive]) mkdirSync(path.join(leftover, 'base'), { recursive: true });
    await seedFromTemplate(template, folder); // no spare: copies
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(readdirSync(path.dirname(folder)).sort()).toEqual(['pglite', path.basename(alive)]);
    expect(readFileSync(path.join(folder, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });
});
