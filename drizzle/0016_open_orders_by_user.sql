CREATE INDEX "verifications_user_open_idx" ON "verifications" USING btree ("user_id") WHERE "verifications"."status" in ('pending', 'active');--> statement-breakpoint
-- verification_open as in 0014, but for its open-order count: a parameter (p_open_statuses) cannot
-- be matched to the partial index above by a cached plan, so the usual statuses are written out.
-- Any other set is counted as before.
CREATE OR REPLACE FUNCTION verification_open(
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
  IF p_open_statuses @> ARRAY['pending', 'active'] AND p_open_statuses <@ ARRAY['pending', 'active'] THEN
    -- The statuses verifications_user_open_idx holds, written out so the plan can use it: the
    -- user's open orders are read, not every order they ever had.
    SELECT count(*) INTO open_count FROM verifications
     WHERE user_id = owner AND status IN ('pending', 'active');
  ELSE
    SELECT count(*) INTO open_count FROM verifications
     WHERE user_id = owner AND status = ANY (p_open_statuses);
  END IF;
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
