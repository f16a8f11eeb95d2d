-- The database, not the code, refuses an unbalanced or edited ledger.

-- Every transaction's entries sum to zero per currency, and there are at least two of them.
CREATE FUNCTION ledger_assert_balanced(tx uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  entry_count integer;
  unbalanced_currency text;
BEGIN
  SELECT count(*) INTO entry_count FROM ledger_entries WHERE transaction_id = tx;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'ledger transaction % has % entries; at least 2 are required', tx, entry_count
      USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced';
  END IF;
  SELECT currency INTO unbalanced_currency FROM ledger_entries WHERE transaction_id = tx
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF unbalanced_currency IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % does not sum to zero in %', tx, unbalanced_currency
      USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced';
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION ledger_check_entry_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A transaction created in this same database transaction is checked once by its own trigger;
  -- an entry added to an older transaction is checked here.
  IF EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = NEW.transaction_id
             AND t.xmin::text = (pg_current_xact_id()::xid)::text) THEN
    RETURN NULL;
  END IF;
  PERFORM ledger_assert_balanced(NEW.transaction_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION ledger_check_new_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ledger_assert_balanced(NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Deferred to commit so a transaction's entries can be inserted one statement at a time.
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_transaction();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_transactions_have_entries AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_new_transaction();
--> statement-breakpoint
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: fix mistakes with a reversing transaction', TG_TABLE_NAME
    USING ERRCODE = '55000';
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
-- Platform accounts exist from the start so postings never race to create them.
INSERT INTO ledger_accounts (kind, currency) VALUES
  ('escrow', 'USD'), ('revenue', 'USD'), ('paystack_clearing', 'USD'), ('subscriptions', 'USD'), ('adjustments', 'USD');
