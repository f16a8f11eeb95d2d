import { describe, expect, it } from 'vitest';
import { type PlanState, graceEnd, periodEndAfter, planTierChange, renewalStep } from './domain.js';

const tier = (name: string, monthlyPriceCents: number) => ({
  name,
  monthlyPriceCents,
  includedUsageCents: 0,
});
const freemium = tier('freemium', 0);
const payg = tier('payg', 0);
const pro = tier('pro', 2500);
const custom = tier('custom', 3500);

const plan = (overrides: Partial<PlanState> = {}): PlanState => ({
  tier: 'pro',
  status: 'active',
  currentPeriodEnd: new Date('2030-02-01T00:00:00Z'),
  cancelAtPeriodEnd: false,
  scheduledTier: null,
  graceEndsAt: null,
  ...overrides,
});

describe('periods', () => {
  it('end a calendar month later on the anchor’s day, clamped to short months', () => {
    const anchor = new Date('2030-01-31T10:30:00.000Z');
    const feb = periodEndAfter(anchor, anchor);
    expect(feb.toISOString()).toBe('2030-02-28T10:30:00.000Z');
    const mar = periodEndAfter(feb, anchor);
    expect(mar.toISOString()).toBe('2030-03-31T10:30:00.000Z');
    expect(
      periodEndAfter(new Date('2031-12-15T00:00:00Z'), new Date('2031-12-15T00:00:00Z')).toISOString(),
    ).toBe('2032-01-15T00:00:00.000Z');
    expect(
      periodEndAfter(new Date('2032-01-31T00:00:00Z'), new Date('2032-01-31T00:00:00Z')).toISOString(),
    ).toBe('2032-02-29T00:00:00.000Z');
  });

  it('give three days of grace after the period end', () => {
    expect(graceEnd(new Date('2030-02-27T12:00:00Z')).toISOString()).toBe('2030-03-02T12:00:00.000Z');
  });
});

describe('a tier change', () => {
  it('from a free tier: payg is free and immediate, a paid tier starts a period, freemium is refused', () => {
    expect(planTierChange({ currentTier: freemium, target: payg, plan: undefined })).toEqual({
      kind: 'switch_free',
    });
    expect(planTierChange({ currentTier: payg, target: payg, plan: undefined })).toEqual({
      kind: 'unchanged',
    });
    expect(planTierChange({ currentTier: payg, target: pro, plan: undefined })).toEqual({ kind: 'start' });
    expect(planTierChange({ currentTier: payg, target: freemium, plan: undefined }).kind).toBe('refused');
  });

  it('on a paid plan: dearer starts now, cheaper waits for renewal, payg cancels at period end', () => {
    expect(planTierChange({ currentTier: pro, target: custom, plan: plan() })).toEqual({ kind: 'start' });
    expect(planTierChange({ currentTier: custom, target: pro, plan: plan({ tier: 'custom' }) })).toEqual({
      kind: 'schedule',
    });
    expect(planTierChange({ currentTier: pro, target: payg, plan: plan() })).toEqual({
      kind: 'cancel_at_period_end',
    });
    expect(planTierChange({ currentTier: pro, target: pro, plan: plan() })).toEqual({ kind: 'unchanged' });
    expect(
      planTierChange({ currentTier: pro, target: pro, plan: plan({ cancelAtPeriodEnd: true }) }),
    ).toEqual({
      kind: 'resume',
    });
    expect(
      planTierChange({
        currentTier: pro,
        target: pro,
        plan: plan({ status: 'past_due', graceEndsAt: new Date() }),
      }),
    ).toEqual({ kind: 'retry' });
  });

  it('an ended plan counts as none', () => {
    expect(planTierChange({ currentTier: payg, target: pro, plan: plan({ status: 'ended' }) })).toEqual({
      kind: 'start',
    });
  });
});

describe('the renewal step', () => {
  const end = new Date('2030-02-01T00:00:00Z');
  it('waits for the period end, then charges or ends a canceled plan', () => {
    expect(renewalStep(plan(), new Date(end.getTime() - 1))).toEqual({ kind: 'none' });
    expect(renewalStep(plan(), end)).toEqual({ kind: 'charge' });
    expect(renewalStep(plan({ cancelAtPeriodEnd: true }), end)).toEqual({ kind: 'end', reason: 'canceled' });
  });

  it('retries a past-due plan during grace and ends it after', () => {
    const pastDue = plan({ status: 'past_due', graceEndsAt: graceEnd(end) });
    expect(renewalStep(pastDue, new Date(graceEnd(end).getTime() - 1))).toEqual({ kind: 'charge' });
    expect(renewalStep(pastDue, graceEnd(end))).toEqual({ kind: 'end', reason: 'grace_expired' });
    expect(renewalStep(plan({ status: 'ended' }), graceEnd(end))).toEqual({ kind: 'none' });
  });
});
