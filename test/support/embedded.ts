import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';

/** A TCP port free on loopback right now (a listener on port 0, closed again). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface EmbeddedApp {
  runtime: Runtime;
  /** `http://127.0.0.1:<port>`, also the PUBLIC_URL the product writes into links. */
  base: string;
  close(): Promise<void>;
}

/**
 * The embedded default as `npm start` runs it (PGlite in a fresh data folder, the sandboxes
 * in-process), listening on a free loopback port; `env` adds or overrides settings.
 */
export async function startEmbeddedApp(env: Record<string, string> = {}): Promise<EmbeddedApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'namaskah-embedded-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const runtime = await startRuntime(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
  return {
    runtime,
    base,
    close: async () => {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
