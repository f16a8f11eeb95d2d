-- SPEC §6 tiers: the seeded source of truth (admins edit the rows later).
INSERT INTO "tiers" ("name", "display_name", "monthly_price_cents", "included_usage_cents", "signup_credits", "price_multiplier_bps", "area_code_allowed", "area_code_surcharge_cents", "carrier_allowed", "carrier_surcharge_cents", "voice_allowed", "api_key_limit", "webhooks_allowed", "max_active_orders", "purchase_rate_per_minute") VALUES
  ('freemium', 'Freemium', 0, 0, 1, 10000, false, 0, false, 0, false, 0, false, 3, 5),
  ('payg', 'Pay as you go', 0, 0, 0, 10000, true, 25, true, 50, true, 2, true, 10, 20),
  ('pro', 'Pro', 2500, 1500, 0, 8500, true, 0, true, 0, true, 10, true, 25, 60),
  ('custom', 'Custom', 3500, 2500, 0, 7500, true, 0, true, 0, true, NULL, true, 100, 120)
ON CONFLICT ("name") DO NOTHING;
