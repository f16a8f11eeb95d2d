-- Holds and their resolution in one round trip each (issue 12: a statement per round trip was the
-- purchase's main cost). The guards stay where they were: the deferred balance triggers, the
-- append-only triggers, the unique keys and the CHECKs still decide; these functions only save
-- the trips between the statements the code used to send one by one.

-- The id of a platform account (escrow, revenue, …) in a currency, created on first use.
CREATE FUNCTION ledger_platform_account(p_kind text, p_currency text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  found_id uuid;
BEGIN
  SELECT id INTO found_id FROM ledger_accounts WHERE kind = p_kind AND currency = p_currency AND owner_id IS NULL;
  IF found_id IS NULL THEN
    INSERT INTO ledger_accounts (kind, currency) VALUES (p_kind, p_currency) ON CONFLICT DO NOTHING;
    SELECT id INTO found_id FROM ledger_accounts WHERE kind = p_kind AND currency = p_currency AND owner_id IS NULL;
  END IF;
  RETURN found_id;
END $$;
--> statement-breakpoint
-- Wallet → escrow for a purchase, once per reference. Answers {outcome: created|duplicate, hold}
-- or {outcome: insufficient_funds} having written nothing (so a caller may try another currency
-- in the same transaction). The conditional debit is the overdraft guard, as in the code before.
CREATE FUNCTION ledger_hold(p_owner uuid, p_currency text, p_amount bigint, p_reference text, p_memo text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  held ledger_holds;
  wallet_account uuid;
  hold_transaction uuid;
BEGIN
  SELECT * INTO held FROM ledger_holds WHERE reference = p_reference;
  IF FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate', 'hold', to_jsonb(held));
  END IF;
  UPDATE wallets SET balance = balance - p_amount, updated_at = now()
    WHERE owner_id = p_owner AND currency = p_currency AND balance >= p_amount
    RETURNING account_id INTO wallet_account;
  IF wallet_account IS NULL THEN
    RETURN jsonb_build_object('outcome', 'insufficient_funds');
  END IF;
  INSERT INTO ledger_transactions (kind, memo, idempotency_key, metadata)
    VALUES ('hold', p_memo, 'hold:' || p_reference, jsonb_build_object('reference', p_reference))
    ON CONFLICT DO NOTHING RETURNING id INTO hold_transaction;
  IF hold_transaction IS NULL THEN
    -- The same reference was held by a transaction that committed while this one waited: give the
    -- debit back and answer that hold.
    UPDATE wallets SET balance = balance + p_amount, updated_at = now() WHERE account_id = wallet_account;
    SELECT * INTO held FROM ledger_holds WHERE reference = p_reference;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'hold transaction exists without its hold (reference %)', p_reference;
    END IF;
    RETURN jsonb_build_object('outcome', 'duplicate', 'hold', to_jsonb(held));
  END IF;
  INSERT INTO ledger_entries (transaction_id, account_id, currency, amount) VALUES
    (hold_transaction, wallet_account, p_currency, -p_amount),
    (hold_transaction, ledger_platform_account('escrow', p_currency), p_currency, p_amount);
  INSERT INTO ledger_holds (wallet_account_id, owner_id, currency, amount, reference, hold_transaction_id)
    VALUES (wallet_account, p_owner, p_currency, p_amount, p_reference, hold_transaction)
    RETURNING * INTO held;
  RETURN jsonb_build_object('outcome', 'created', 'hold', to_jsonb(held));
END $$;
--> statement-breakpoint
-- Escrow → revenue (posted) or escrow → wallet (voided), exactly once per hold: the unique
-- resolves_hold_id is the arbiter, as before. Answers {outcome: resolved|already_resolved|not_found, hold}.
CREATE FUNCTION ledger_resolve_hold(p_hold uuid, p_status text, p_memo text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  held ledger_holds;
  resolution uuid;
  destination uuid;
BEGIN
  SELECT * INTO held FROM ledger_holds WHERE id = p_hold;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  INSERT INTO ledger_transactions (kind, memo, resolves_hold_id, metadata)
    VALUES (CASE p_status WHEN 'posted' THEN 'capture' ELSE 'release' END, p_memo, p_hold,
            jsonb_build_object('reference', held.reference))
    ON CONFLICT DO NOTHING RETURNING id INTO resolution;
  IF resolution IS NULL THEN
    SELECT * INTO held FROM ledger_holds WHERE id = p_hold;
    RETURN jsonb_build_object('outcome', 'already_resolved', 'hold', to_jsonb(held));
  END IF;
  destination := CASE p_status WHEN 'posted' THEN ledger_platform_account('revenue', held.currency)
                 ELSE held.wallet_account_id END;
  INSERT INTO ledger_entries (transaction_id, account_id, currency, amount) VALUES
    (resolution, ledger_platform_account('escrow', held.currency), held.currency, -held.amount),
    (resolution, destination, held.currency, held.amount);
  IF p_status = 'voided' THEN
    UPDATE wallets SET balance = balance + held.amount, updated_at = now()
      WHERE account_id = held.wallet_account_id;
  END IF;
  UPDATE ledger_holds SET status = p_status, resolution_transaction_id = resolution, resolved_at = now()
    WHERE id = p_hold AND status = 'pending' RETURNING * INTO held;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'hold % was not pending although its resolution was free', p_hold;
  END IF;
  RETURN jsonb_build_object('outcome', 'resolved', 'hold', to_jsonb(held));
END $$;
