CREATE TABLE "captcha_uses" (
	"challenge_id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "email_tokens_purpose_known" CHECK ("email_tokens"."purpose" in ('confirm_email', 'password_reset'))
);
--> statement-breakpoint
CREATE TABLE "login_failures" (
	"subject" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_failure_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"user_agent" text,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"email_confirmed_at" timestamp with time zone,
	"role" text DEFAULT 'user' NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"tier" text DEFAULT 'freemium' NOT NULL,
	"mfa_secret" text,
	"mfa_pending_secret" text,
	"mfa_enabled_at" timestamp with time zone,
	"mfa_last_time_step" bigint,
	"last_login_at" timestamp with time zone,
	"password_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_known" CHECK ("users"."role" in ('user', 'admin')),
	CONSTRAINT "users_status_known" CHECK ("users"."status" in ('active', 'suspended'))
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"allowed_cidrs" text[],
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" uuid,
	"action" text NOT NULL,
	"subject_type" text,
	"subject_id" text,
	"ip" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_price_overrides" (
	"service_name" text PRIMARY KEY NOT NULL,
	"markup_bps" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "catalog_price_overrides_markup_positive" CHECK ("catalog_price_overrides"."markup_bps" > 0)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"status" text DEFAULT 'in_flight' NOT NULL,
	"response_status" integer,
	"response_body" text,
	"response_headers" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key"),
	CONSTRAINT "idempotency_keys_status_known" CHECK ("idempotency_keys"."status" in ('in_flight', 'completed'))
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"owner_id" uuid,
	"currency" text DEFAULT 'USD' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_kind_known" CHECK ("ledger_accounts"."kind" in ('wallet', 'escrow', 'revenue', 'paystack_clearing', 'subscriptions', 'adjustments')),
	CONSTRAINT "ledger_accounts_owner_iff_wallet" CHECK (("ledger_accounts"."kind" = 'wallet') = ("ledger_accounts"."owner_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_amount_not_zero" CHECK ("ledger_entries"."amount" <> 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"wallet_account_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"reference" text NOT NULL,
	"hold_transaction_id" uuid NOT NULL,
	"resolution_transaction_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "ledger_holds_amount_positive" CHECK ("ledger_holds"."amount" > 0),
	CONSTRAINT "ledger_holds_status_known" CHECK ("ledger_holds"."status" in ('pending', 'posted', 'voided')),
	CONSTRAINT "ledger_holds_resolution_consistent" CHECK (("ledger_holds"."status" = 'pending') = ("ledger_holds"."resolution_transaction_id" is null))
);
--> statement-breakpoint
CREATE TABLE "ledger_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"idempotency_key" text,
	"resolves_hold_id" uuid,
	"reverses_id" uuid,
	"memo" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_transactions_kind_known" CHECK ("ledger_transactions"."kind" in ('topup', 'hold', 'capture', 'release', 'adjustment', 'reversal', 'subscription', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "wallets_balance_not_negative" CHECK ("wallets"."balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payment_topups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "payment_topups_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"reference" text NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text DEFAULT 'initializing' NOT NULL,
	"amount_usd_cents" bigint NOT NULL,
	"charge_currency" text NOT NULL,
	"charge_amount_minor" bigint NOT NULL,
	"ngn_per_usd" integer,
	"request_key" text,
	"authorization_url" text,
	"paystack_access_code" text,
	"paystack_transaction_id" bigint,
	"paid_amount_minor" bigint,
	"paid_currency" text,
	"failure_reason" text,
	"ledger_transaction_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"initialized_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"last_verified_at" timestamp with time zone,
	CONSTRAINT "payment_topups_status_known" CHECK ("payment_topups"."status" in ('initializing', 'initialized', 'succeeded', 'failed', 'abandoned', 'flagged')),
	CONSTRAINT "payment_topups_amount_positive" CHECK ("payment_topups"."amount_usd_cents" > 0 and "payment_topups"."charge_amount_minor" > 0),
	CONSTRAINT "payment_topups_currency_known" CHECK ("payment_topups"."charge_currency" in ('USD', 'NGN')),
	CONSTRAINT "payment_topups_rate_iff_ngn" CHECK (("payment_topups"."charge_currency" = 'NGN') = ("payment_topups"."ngn_per_usd" is not null) and ("payment_topups"."ngn_per_usd" is null or "payment_topups"."ngn_per_usd" > 0)),
	CONSTRAINT "payment_topups_credited_iff_succeeded" CHECK (("payment_topups"."status" = 'succeeded') = ("payment_topups"."ledger_transaction_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "tiers" (
	"name" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"monthly_price_cents" bigint NOT NULL,
	"included_usage_cents" bigint DEFAULT 0 NOT NULL,
	"signup_credits" integer DEFAULT 0 NOT NULL,
	"price_multiplier_bps" integer NOT NULL,
	"area_code_allowed" boolean NOT NULL,
	"area_code_surcharge_cents" integer DEFAULT 0 NOT NULL,
	"carrier_allowed" boolean NOT NULL,
	"carrier_surcharge_cents" integer DEFAULT 0 NOT NULL,
	"voice_allowed" boolean NOT NULL,
	"api_key_limit" integer,
	"webhooks_allowed" boolean NOT NULL,
	"max_active_orders" integer NOT NULL,
	"purchase_rate_per_minute" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tiers_money_not_negative" CHECK ("tiers"."monthly_price_cents" >= 0 and "tiers"."included_usage_cents" >= 0),
	CONSTRAINT "tiers_multiplier_positive" CHECK ("tiers"."price_multiplier_bps" > 0),
	CONSTRAINT "tiers_surcharges_not_negative" CHECK ("tiers"."area_code_surcharge_cents" >= 0 and "tiers"."carrier_surcharge_cents" >= 0),
	CONSTRAINT "tiers_limits_positive" CHECK ("tiers"."max_active_orders" > 0 and "tiers"."purchase_rate_per_minute" > 0)
);
--> statement-breakpoint
CREATE TABLE "verification_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"verification_id" uuid NOT NULL,
	"dedupe_key" text NOT NULL,
	"provider_message_id" text,
	"sender" text,
	"text" text,
	"code" text,
	"received_at" timestamp with time zone NOT NULL,
	"after_expiry" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"service" text NOT NULL,
	"country" text NOT NULL,
	"capability" text NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"price_cents" bigint NOT NULL,
	"charge_amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"provider_cost_cents" bigint NOT NULL,
	"hold_id" uuid,
	"provider_id" text,
	"phone_number" text,
	"status" text NOT NULL,
	"code" text,
	"ends_at" timestamp with time zone,
	"failure_code" text,
	"upstream_action" text,
	"upstream_attempts" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "verifications_status_known" CHECK ("verifications"."status" in ('pending', 'active', 'completed', 'canceled', 'expired', 'failed')),
	CONSTRAINT "verifications_currency_known" CHECK ("verifications"."currency" in ('USD', 'CREDIT')),
	CONSTRAINT "verifications_upstream_action_known" CHECK ("verifications"."upstream_action" is null or "verifications"."upstream_action" in ('cancel', 'report'))
);
--> statement-breakpoint
ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_holds" ADD CONSTRAINT "ledger_holds_wallet_account_id_ledger_accounts_id_fk" FOREIGN KEY ("wallet_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_holds" ADD CONSTRAINT "ledger_holds_hold_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("hold_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_holds" ADD CONSTRAINT "ledger_holds_resolution_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("resolution_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verification_messages" ADD CONSTRAINT "verification_messages_verification_id_verifications_id_fk" FOREIGN KEY ("verification_id") REFERENCES "public"."verifications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "captcha_uses_expires_idx" ON "captcha_uses" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "email_tokens_hash_unique" ON "email_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "email_tokens_user_idx" ON "email_tokens" USING btree ("user_id","purpose");--> statement-breakpoint
CREATE UNIQUE INDEX "refresh_tokens_hash_unique" ON "refresh_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "refresh_tokens_session_idx" ON "refresh_tokens" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_unique" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_unique" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "api_keys" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_id","at");--> statement-breakpoint
CREATE INDEX "audit_log_subject_idx" ON "audit_log" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_wallet_unique" ON "ledger_accounts" USING btree ("owner_id","currency") WHERE "ledger_accounts"."owner_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_platform_unique" ON "ledger_accounts" USING btree ("kind","currency") WHERE "ledger_accounts"."owner_id" is null;--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "ledger_entries" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_transaction_idx" ON "ledger_entries" USING btree ("transaction_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_holds_reference_unique" ON "ledger_holds" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "ledger_holds_pending_owner_idx" ON "ledger_holds" USING btree ("owner_id") WHERE "ledger_holds"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_idempotency_key_unique" ON "ledger_transactions" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_resolves_hold_unique" ON "ledger_transactions" USING btree ("resolves_hold_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reverses_unique" ON "ledger_transactions" USING btree ("reverses_id");--> statement-breakpoint
CREATE UNIQUE INDEX "wallets_owner_currency_unique" ON "wallets" USING btree ("owner_id","currency");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_topups_reference_unique" ON "payment_topups" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_topups_ledger_transaction_unique" ON "payment_topups" USING btree ("ledger_transaction_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_topups_request_key_unique" ON "payment_topups" USING btree ("user_id","request_key") WHERE "payment_topups"."request_key" is not null;--> statement-breakpoint
CREATE INDEX "payment_topups_user_seq_idx" ON "payment_topups" USING btree ("user_id","seq");--> statement-breakpoint
CREATE INDEX "payment_topups_open_idx" ON "payment_topups" USING btree ("created_at") WHERE "payment_topups"."status" in ('initializing', 'initialized');--> statement-breakpoint
CREATE UNIQUE INDEX "verification_messages_dedupe_unique" ON "verification_messages" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "verification_messages_verification_idx" ON "verification_messages" USING btree ("verification_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_provider_id_unique" ON "verifications" USING btree ("provider_id");--> statement-breakpoint
CREATE INDEX "verifications_user_created_idx" ON "verifications" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "verifications_open_idx" ON "verifications" USING btree ("status","ends_at") WHERE "verifications"."status" in ('pending', 'active');--> statement-breakpoint
CREATE INDEX "verifications_upstream_idx" ON "verifications" USING btree ("upstream_action") WHERE "verifications"."upstream_action" is not null;