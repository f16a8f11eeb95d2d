import { nodeArgsOfScript } from '../../scripts/start-inputs.mjs';

/**
 * What `npm start` runs, read from package.json so a test or benchmark follows it: `prestart` (the
 * web app and the server's bundle in .run/), then `start` (the server), each as the arguments
 * of a `node` process. Without npm itself, whose own start would only blur the figures.
 */
export function npmStartSteps(): { prestart: string[]; start: string[] } {
  return { prestart: nodeArgsOfScript('prestart'), start: nodeArgsOfScript('start') };
}
