-- Phase 1 of a purchase in one round trip (issue 12: a statement per round trip was the purchase's
-- main cost). It does what the code did statement by statement, in the same order and under the
-- same lock: the per-user purchase lock, the replay of an order that exists, the open-order
-- limit, the hold (the first of the given currencies whose wallet covers it; `ledger_hold` writes
-- nothing when it does not), then the order with its hold. The ledger's guards are untouched
-- (`ledger_hold`, its triggers and keys decide). Refusals are answered having written nothing.
--
-- The webhook outbox event (`verification.created`) needs the order's view, which the code
-- builds: when one of the user's enabled endpoints takes p_event_type, the function answers
-- `needs_event` before writing anything, and the caller runs it again (p_event_type NULL) in a
-- transaction where it writes the event itself. Most buyers have no endpoint and pay nothing for
-- webhooks. The filter test is the webhooks module's `matchesFilter`: `*` or the type itself.
--
-- Answers {outcome: created|exists, order} | {outcome: needs_event|not_found|active_limit_reached
-- |insufficient_funds}.
CREATE FUNCTION verification_open(
  p_id uuid,
  p_user text,
  p_max_open bigint,
  p_open_statuses text[],
  p_service text,
  p_country text,
  p_capability text,
  p_options jsonb,
  p_price bigint,
  p_provider_cost bigint,
  p_provider text,
  p_hold_reference text,
  p_memo text,
  p_charge_currencies text[],
  p_charge_amounts bigint[],
  p_event_type text
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  owner uuid := p_user::uuid;
  found_order verifications;
  opened verifications;
  open_count bigint;
  held jsonb;
  covered text[];
BEGIN
  IF p_event_type IS NOT NULL AND EXISTS (
    SELECT 1 FROM webhook_endpoints
     WHERE user_id = owner AND enabled AND (events @> ARRAY['*'] OR events @> ARRAY[p_event_type])
  ) THEN
    RETURN jsonb_build_object('outcome', 'needs_event');
  END IF;
  -- The same key as the code's lockUserPurchases (renewals take it too): one purchase at a time
  -- per user, so the count below is exact and an order id cannot be raced to.
  PERFORM pg_advisory_xact_lock(hashtextextended('verification-purchase:' || p_user, 0));
  SELECT * INTO found_order FROM verifications WHERE id = p_id;
  IF FOUND THEN
    IF found_order.user_id <> owner THEN
      RETURN jsonb_build_object('outcome', 'not_found');
    END IF;
    RETURN jsonb_build_object('outcome', 'exists', 'order', to_jsonb(found_order));
  END IF;
  SELECT count(*) INTO open_count FROM verifications
   WHERE user_id = owner AND status = ANY (p_open_statuses);
  IF open_count >= p_max_open THEN
    RETURN jsonb_build_object('outcome', 'active_limit_reached');
  END IF;
  -- The wallets that look able to pay, in one read: the others are not asked (ledger_hold would
  -- refuse them, writing nothing). One that looked able but is refused (spent meanwhile) hands
  -- over to the next, as before.
  SELECT coalesce(array_agg(c.currency), '{}') INTO covered
    FROM unnest(p_charge_currencies, p_charge_amounts) AS c(currency, amount)
    JOIN wallets w ON w.owner_id = owner AND w.currency = c.currency AND w.balance >= c.amount;
  FOR i IN 1 .. coalesce(array_length(p_charge_currencies, 1), 0) LOOP
    CONTINUE WHEN NOT p_charge_currencies[i] = ANY (covered);
    held := ledger_hold(owner, p_charge_currencies[i], p_charge_amounts[i], p_hold_reference, p_memo);
    EXIT WHEN held->>'outcome' <> 'insufficient_funds';
  END LOOP;
  IF held IS NULL OR held->>'outcome' = 'insufficient_funds' THEN
    RETURN jsonb_build_object('outcome', 'insufficient_funds');
  END IF;
  -- What the hold is in (a duplicate hold answers its own currency and amount).
  INSERT INTO verifications (id, user_id, service, country, capability, options, price_cents,
                             charge_amount, currency, provider_cost_cents, hold_id, provider, status)
  VALUES (p_id, owner, p_service, p_country, p_capability, p_options, p_price,
          (held->'hold'->>'amount')::bigint, held->'hold'->>'currency', p_provider_cost,
          (held->'hold'->>'id')::uuid, p_provider, 'pending')
  RETURNING * INTO opened;
  RETURN jsonb_build_object('outcome', 'created', 'order', to_jsonb(opened));
END $$;
