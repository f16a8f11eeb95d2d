-- login_failures is keyed by subject since 0003: the per-address counts kept before become `email:<address>`.
UPDATE "login_failures" SET "subject" = 'email:' || "subject" WHERE "subject" NOT LIKE 'email:%' AND "subject" NOT LIKE 'ip:%';
