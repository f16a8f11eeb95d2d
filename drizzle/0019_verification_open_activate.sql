-- A purchase sends two statements of its own: phase 1 (the order and its hold) as it begins, and
-- the activation (the number it bought) as it ends. Under load both kinds come in the same turns of
-- the event loop, so one statement takes a batch of each: the activations of the purchases that
-- bought their numbers, then the openings of those that began. Half the round trips and commits of
-- the two, for the same work; each part is the function it was (0017), unchanged.
--
-- Activated rows come back with `at` = 0, as the table's row in JSON; openings with their place
-- (from 1) and verification_open's answer. The activations go first: they lock only the orders
-- they change (each bought already, so no opening in the batch names one), and the openings then
-- lock their users in the order the caller sorted them, as before.
CREATE FUNCTION verification_open_activate(
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
  p_event_types text[],
  p_activate_ids uuid[],
  p_provider_ids text[],
  p_phone_numbers text[],
  p_ends_ats timestamptz[],
  p_updated_at timestamptz
) RETURNS TABLE (at bigint, answer jsonb) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
BEGIN
  IF cardinality(p_activate_ids) > 0 THEN
    RETURN QUERY
    SELECT 0::bigint, to_jsonb(activated)
      FROM verification_activate_many(p_activate_ids, p_provider_ids, p_phone_numbers, p_ends_ats,
                                      p_updated_at) AS activated;
  END IF;
  IF cardinality(p_ids) > 0 THEN
    RETURN QUERY
    SELECT opening.at, opening.answer
      FROM verification_open_many(p_ids, p_users, p_max_open, p_open_statuses, p_services,
                                  p_countries, p_capabilities, p_options, p_prices, p_provider_costs,
                                  p_providers, p_hold_references, p_memos, p_charges,
                                  p_event_types) AS opening;
  END IF;
END $$;
