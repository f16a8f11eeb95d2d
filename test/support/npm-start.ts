import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * What `npm start` runs, read from package.json so a test or benchmark follows it: `prestart` (the
 * web app and the server's bundle in .run/), then `start` (the server), each as the arguments
 * of a `node` process. Without npm itself, whose own start would only blur the figures.
 */
export function npmStartSteps(): { prestart: string[]; start: string[] } {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const nodeArgs = (name: string): string[] => {
    const [command, ...args] = (scripts[name] ?? '').split(' ');
    // Anything else (a shell chain, another runner) would need a shell: say so rather than guess.
    if (command !== 'node')
      throw new Error(`package.json's ${name} is not one node command: ${scripts[name]}`);
    return args;
  };
  return { prestart: nodeArgs('prestart'), start: nodeArgs('start') };
}
