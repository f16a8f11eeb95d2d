import { afterAll, beforeAll } from 'vitest';
import { startGarbageProxy } from './garbage-proxy.js';
import { killCases } from './kill.cases.js';
import { fundBuyers } from './load.js';
import { outageCases } from './outages.cases.js';
import { providerCases } from './provider.cases.js';
import { type FaultContext, startFaultSystem } from './system.js';

/**
 * Faults against real processes, one after another on one system (one PostgreSQL cluster, one
 * Redis, one app process, restarted by the last case): the provider misbehaving, Redis and then
 * PostgreSQL going away under load, and kill -9 of the app mid-purchase and mid-top-up. Each case
 * ends with `ledger:check` and money paid in = wallets + held + revenue, and prints what clients
 * saw and how long recovery took.
 */
let context: FaultContext | undefined;

beforeAll(async () => {
  const system = await startFaultSystem();
  try {
    const proxy = await startGarbageProxy(
      system.tv.url,
      (method, path) => method === 'POST' && path === '/api/pub/v2/verifications',
    );
    system.env.TEXTVERIFIED_BASE_URL = proxy.url;
    context = { system, proxy, buyers: [] };
    await system.startApp();
    context.buyers = await system.buyers(6);
    await fundBuyers(system, context.buyers, 20_000);
  } catch (error) {
    await system.dispose();
    throw error;
  }
}, 300_000);

afterAll(async () => {
  const app = context?.system.app;
  // An app that died on its own is a finding: its last words go into the test output.
  if (app && app.child.exitCode !== null)
    console.log(`[app exited ${app.child.exitCode}] ${app.output().slice(-4_000)}`);
  await context?.system.dispose();
  await context?.proxy.close();
}, 60_000);

const shared = () => {
  if (!context) throw new Error('the fault system did not start');
  return context;
};
providerCases(shared);
outageCases(shared);
killCases(shared);
