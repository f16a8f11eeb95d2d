import { generateSecret, generateURI } from 'otplib';
import { conflict, forbidden, unauthenticated, validationFailed } from '../../platform/errors.js';
import type { AccountsContext, RequestContext } from './context.js';

import * as store from './store.js';

const wrongCode = () => validationFailed('The authentication code is incorrect.', { field: 'otp' });

/** Two-factor authentication (TOTP): set up, confirmed with a first code, turned off with one. */
export function createMfa(ctx: AccountsContext) {
  const { db } = ctx;

  async function startMfaSetup(userId: string) {
    const user = await store.userById(db, userId);
    // The caller's own row is gone (deleted after authentication): they are nobody now.
    if (!user) throw unauthenticated();
    if (user.mfaSecret) throw conflict('mfa_already_enabled', 'Two-factor authentication is already on.');
    const secret = generateSecret();
    await store.updateUser(db, userId, { mfaPendingSecret: ctx.mfaSeals.seal(secret) });
    return { secret, otpauthUrl: generateURI({ issuer: 'Namaskah', label: user.email, secret }) };
  }

  async function confirmMfa(userId: string, otp: string, context: RequestContext) {
    const user = await store.userById(db, userId);
    if (!user?.mfaPendingSecret) throw conflict('mfa_not_started', 'Start the two-factor setup first.');
    const step = await ctx.checkTotp(user, user.mfaPendingSecret, otp);
    if (step === undefined) throw wrongCode();
    await store.updateUser(db, userId, {
      mfaSecret: user.mfaPendingSecret,
      mfaPendingSecret: null,
      mfaEnabledAt: new Date(),
      mfaLastTimeStep: step,
    });
    await ctx.audit.record(db, {
      actorId: userId,
      action: 'mfa.enabled',
      subjectType: 'user',
      subjectId: userId,
      ip: context.ip,
    });
  }

  async function disableMfa(userId: string, otp: string, context: RequestContext) {
    const user = await store.userById(db, userId);
    if (!user?.mfaSecret) throw conflict('mfa_not_enabled', 'Two-factor authentication is not on.');
    if (user.role === 'admin') throw forbidden('Administrators must keep two-factor authentication on.');
    const step = await ctx.checkTotp(user, user.mfaSecret, otp);
    if (step === undefined) throw wrongCode();
    await store.updateUser(db, userId, {
      mfaSecret: null,
      mfaPendingSecret: null,
      mfaEnabledAt: null,
      mfaLastTimeStep: step,
    });
    await ctx.audit.record(db, {
      actorId: userId,
      action: 'mfa.disabled',
      subjectType: 'user',
      subjectId: userId,
      ip: context.ip,
    });
  }

  return { startMfaSetup, confirmMfa, disableMfa };
}
