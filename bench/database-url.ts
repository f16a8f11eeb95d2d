/**
 * The PostgreSQL server the benchmarks make their databases on (BENCH_DATABASE_URL), this
 * machine's by default. Through its Unix socket instead (`?host=/var/run/postgresql`, pgbench
 * follows) the purchase measured the same: eight interleaved rounds at 50 buyers gave app CPU per
 * purchase 2.13–2.76 ms through the socket and 2.35–2.67 ms over TCP.
 */
export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
