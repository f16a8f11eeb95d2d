-- Every idempotent request sends two statements, one at its start (the claim of its key) and one at
-- its end (its stored answer). Under load both kinds come in the same turns of the event loop, so
-- one statement takes a batch of each: the answers of the requests that finished, then the claims
-- of those that began. Half the round trips and commits of the two, for the same work.
--
-- The answers go first: a claim of a key whose request has just answered, in the same batch, then
-- finds its answer (a replay) and not a request in flight. Planned as in 0017 (by key only).
CREATE FUNCTION idempotency_claim_complete(
  p_lease_seconds double precision,
  p_claim_principals text[],
  p_claim_keys text[],
  p_claim_fingerprints text[],
  p_principals text[],
  p_keys text[],
  p_statuses int[],
  p_bodies text[],
  p_headers text[]
) RETURNS TABLE (won_principal text, won_key text, won_fingerprint text) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  IF cardinality(p_principals) > 0 THEN
    PERFORM idempotency_complete_many(p_principals, p_keys, p_statuses, p_bodies, p_headers);
  END IF;
  IF cardinality(p_claim_principals) = 0 THEN
    RETURN;
  END IF;
  RETURN QUERY
  INSERT INTO idempotency_keys AS k (principal, key, fingerprint, status, created_at, lease_expires_at)
  SELECT c.principal, c.key, c.fingerprint, 'in_flight', now(),
         now() + make_interval(secs => p_lease_seconds)
    FROM unnest(p_claim_principals, p_claim_keys, p_claim_fingerprints) AS c(principal, key, fingerprint)
  ON CONFLICT DO NOTHING
  RETURNING k.principal, k.key, k.fingerprint;
END $$;
