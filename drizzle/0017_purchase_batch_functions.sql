-- The purchase path's batched statements, and every signed-in request's session check (many
-- requests' rows at once, as arrays), as functions that run on plans made once per connection,
-- and made for what they do: find rows by key.
--
-- A plan cached for a statement with array parameters cannot know how many rows they hold and
-- counts 10; for the small batches of a busy moment a plan made for the actual arrays looks
-- cheaper, so PostgreSQL planned such a statement afresh at every execution (verification_open_many
-- at all of them; the activation, the idempotency completion and the session check once their
-- tables had grown): a tenth of its CPU under load. Called as `select … from f(…)`, the
-- statement's cost no longer depends on its parameters and its plan is cached; inside,
-- plan_cache_mode keeps the function's own statements on their cached plans too.
--
-- A cached plan is made for the table as it is then: one made while a table was nearly empty
-- (a new database) read the whole table at every batch once it had grown, until a connection was
-- replaced (seen under load: a hash join over a sequential scan of 15,000 idempotency keys, made
-- when the planner counted 340). Every statement here reaches its rows through a unique or
-- covering index by key, so the functions allow the planner nothing else: no sequential scan, no
-- hash or merge join. Each statement is the one it replaces, unchanged.

-- Phase 1 of a batch of purchases: verification_open (0016) for each row of the arrays, in their
-- order, in one statement; `at` is the row's place (from 1).
CREATE FUNCTION verification_open_many(
  p_ids uuid[],
  p_users text[],
  p_max_open bigint[],
  p_open_statuses text[],
  p_services text[],
  p_countries text[],
  p_capabilities text[],
  p_options jsonb[],
  p_prices bigint[],
  p_provider_costs bigint[],
  p_providers text[],
  p_hold_references text[],
  p_memos text[],
  p_charges jsonb[],
  p_event_types text[]
) RETURNS TABLE (at bigint, answer jsonb) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  RETURN QUERY
  SELECT opening.at, verification_open(opening.id, opening.user_id, opening.max_open, p_open_statuses,
           opening.service, opening.country, opening.capability, opening.options, opening.price,
           opening.provider_cost, opening.provider, opening.hold_reference, opening.memo,
           array(SELECT c.value->>'currency' FROM jsonb_array_elements(opening.charges)
                   WITH ORDINALITY AS c(value, i) ORDER BY c.i),
           array(SELECT (c.value->>'amount')::bigint FROM jsonb_array_elements(opening.charges)
                   WITH ORDINALITY AS c(value, i) ORDER BY c.i),
           opening.event_type)
    FROM unnest(p_ids, p_users, p_max_open, p_services, p_countries, p_capabilities, p_options,
                p_prices, p_provider_costs, p_providers, p_hold_references, p_memos, p_charges,
                p_event_types)
         WITH ORDINALITY AS opening(id, user_id, max_open, service, country, capability, options,
                                    price, provider_cost, provider, hold_reference, memo, charges,
                                    event_type, at);
END $$;
--> statement-breakpoint

-- Phase 3 of a batch: each pending order active with its number; the rows it changed.
CREATE FUNCTION verification_activate_many(
  p_ids uuid[],
  p_provider_ids text[],
  p_phone_numbers text[],
  p_ends_ats timestamptz[],
  p_updated_at timestamptz
) RETURNS SETOF verifications LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  RETURN QUERY
  WITH activated AS (
    UPDATE verifications v
       SET status = 'active', provider_id = activation.provider_id,
           phone_number = activation.phone_number, ends_at = activation.ends_at,
           updated_at = p_updated_at
      FROM unnest(p_ids, p_provider_ids, p_phone_numbers, p_ends_ats)
           AS activation(id, provider_id, phone_number, ends_at)
     WHERE v.id = activation.id AND v.status = 'pending'
    RETURNING v.*
  )
  SELECT * FROM activated;
END $$;
--> statement-breakpoint

-- The stored answers of a batch of idempotent requests that held their keys.
CREATE FUNCTION idempotency_complete_many(
  p_principals text[],
  p_keys text[],
  p_statuses int[],
  p_bodies text[],
  p_headers text[]
) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  UPDATE idempotency_keys k
     SET status = 'completed', response_status = answer.status, response_body = answer.body,
         response_headers = answer.headers::jsonb
    FROM unnest(p_principals, p_keys, p_statuses, p_bodies, p_headers)
         AS answer(principal, key, status, body, headers)
   WHERE k.principal = answer.principal AND k.key = answer.key;
END $$;
--> statement-breakpoint

-- Every signed-in request's session check, for a batch of requests: the live sessions among the
-- ids and their users, as JSON rows (the tables' own columns, whatever they come to be).
CREATE FUNCTION accounts_live_sessions(p_session_ids uuid[])
RETURNS TABLE (session jsonb, account jsonb) LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  RETURN QUERY
  SELECT to_jsonb(s), to_jsonb(u)
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.id = ANY (p_session_ids) AND s.revoked_at IS NULL AND s.expires_at > now();
END $$;
