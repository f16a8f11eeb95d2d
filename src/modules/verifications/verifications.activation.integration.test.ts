import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as store from './store.js';
import {
  bought,
  buyWithLostAnswer,
  db,
  fundedUser,
  providerIdOf,
  useVerificationsSuite,
} from './verifications.suite.js';

useVerificationsSuite();

describe('batched activation', () => {
  it('activates the orders of one batch each on its own: a clash fails only its own caller', async () => {
    const user = await fundedUser(10_000);
    const pending = [];
    for (let i = 0; i < 3; i++) pending.push(await buyWithLostAnswer(user, randomUUID()));
    const taken = await providerIdOf((await bought(user)).id);
    const number = (providerId: string) => ({ providerId, phoneNumber: '+15550001234', endsAt: null });

    // One turn of the event loop: the second order's provider id is already another order's (the
    // unique key), and the first order is named twice, as by two attempts racing to activate it.
    const [first, second, third, again] = await Promise.allSettled([
      store.activatePending(db, pending[0]!.id, number(`first-${randomUUID()}`)),
      store.activatePending(db, pending[1]!.id, number(taken)),
      store.activatePending(db, pending[2]!.id, number(`third-${randomUUID()}`)),
      store.activatePending(db, pending[0]!.id, number(`again-${randomUUID()}`)),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { id: pending[0]!.id, status: 'active' } });
    expect(second).toMatchObject({ status: 'rejected' });
    expect(third).toMatchObject({ status: 'fulfilled', value: { id: pending[2]!.id, status: 'active' } });
    // The second attempt on the first order finds it active already, as a statement of its own would.
    expect(again).toEqual({ status: 'fulfilled', value: undefined });
    expect((await store.findById(db, pending[0]!.id))!.providerId).toMatch(/^first-/);
    expect((await store.findById(db, pending[1]!.id))!.status).toBe('pending');
  });
});
