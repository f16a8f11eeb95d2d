import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The PostgreSQL server the benchmarks make their databases on (BENCH_DATABASE_URL). By default
 * this machine's, through its Unix socket when it has one, as an app on the database's own host
 * should connect (docs/deploy.md): every query is a socket write, and over loopback TCP those
 * writes were a quarter of the app's CPU at 50 buyers (2.5 ms of CPU per purchase against 1.7
 * through the socket). pgbench connects the same way.
 */
const LOCAL_SOCKET_DIR = '/var/run/postgresql';

export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ??
  (existsSync(path.join(LOCAL_SOCKET_DIR, '.s.PGSQL.5432'))
    ? `postgres://postgres@localhost/postgres?host=${LOCAL_SOCKET_DIR}`
    : 'postgres://postgres@127.0.0.1:5432/postgres');

/** How a benchmark reaches PostgreSQL, for its header. */
export function databaseTransport(url: string): string {
  const socketDir = new URL(url).searchParams.get('host');
  return socketDir ? `PostgreSQL through its Unix socket (${socketDir})` : 'PostgreSQL over TCP';
}
