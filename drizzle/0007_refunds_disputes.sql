CREATE TABLE "payment_disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "payment_disputes_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"topup_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"paystack_dispute_id" bigint NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"amount_usd_cents" bigint NOT NULL,
	"taken_cents" bigint DEFAULT 0 NOT NULL,
	"from_wallet_cents" bigint DEFAULT 0 NOT NULL,
	"receivable_cents" bigint DEFAULT 0 NOT NULL,
	"open_transaction_id" uuid,
	"resolution" text,
	"returned_cents" bigint DEFAULT 0 NOT NULL,
	"receivable_cleared_cents" bigint DEFAULT 0 NOT NULL,
	"resolve_transaction_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "payment_disputes_status_known" CHECK ("payment_disputes"."status" in ('open', 'won', 'lost')),
	CONSTRAINT "payment_disputes_amount_positive" CHECK ("payment_disputes"."amount_minor" > 0 and "payment_disputes"."amount_usd_cents" > 0),
	CONSTRAINT "payment_disputes_taken_consistent" CHECK ("payment_disputes"."taken_cents" = "payment_disputes"."from_wallet_cents" + "payment_disputes"."receivable_cents" and "payment_disputes"."taken_cents" <= "payment_disputes"."amount_usd_cents"),
	CONSTRAINT "payment_disputes_returned_within_taken" CHECK ("payment_disputes"."returned_cents" >= 0 and "payment_disputes"."returned_cents" <= "payment_disputes"."taken_cents" and "payment_disputes"."receivable_cleared_cents" <= "payment_disputes"."receivable_cents")
);
--> statement-breakpoint
CREATE TABLE "payment_followups" (
	"kind" text NOT NULL,
	"paystack_id" bigint NOT NULL,
	"reference" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_at" timestamp with time zone,
	"done_at" timestamp with time zone,
	CONSTRAINT "payment_followups_kind_paystack_id_pk" PRIMARY KEY("kind","paystack_id"),
	CONSTRAINT "payment_followups_kind_known" CHECK ("payment_followups"."kind" in ('refund', 'dispute'))
);
--> statement-breakpoint
CREATE TABLE "payment_refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "payment_refunds_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"topup_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"paystack_refund_id" bigint,
	"status" text DEFAULT 'requested' NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"amount_usd_cents" bigint NOT NULL,
	"requested_by" uuid,
	"reason" text,
	"request_key" text,
	"from_wallet_cents" bigint,
	"receivable_cents" bigint,
	"ledger_transaction_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "payment_refunds_status_known" CHECK ("payment_refunds"."status" in ('requested', 'unknown', 'pending', 'processing', 'needs-attention', 'processed', 'failed', 'rejected')),
	CONSTRAINT "payment_refunds_amount_positive" CHECK ("payment_refunds"."amount_minor" > 0 and "payment_refunds"."amount_usd_cents" > 0),
	CONSTRAINT "payment_refunds_taken_only_when_processed" CHECK ("payment_refunds"."ledger_transaction_id" is null or "payment_refunds"."status" = 'processed')
);
--> statement-breakpoint
ALTER TABLE "ledger_accounts" DROP CONSTRAINT "ledger_accounts_kind_known";--> statement-breakpoint
ALTER TABLE "ledger_transactions" DROP CONSTRAINT "ledger_transactions_kind_known";--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "flagged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "flag_reason" text;--> statement-breakpoint
ALTER TABLE "payment_topups" ADD COLUMN "reversed_usd_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_disputes" ADD CONSTRAINT "payment_disputes_topup_id_payment_topups_id_fk" FOREIGN KEY ("topup_id") REFERENCES "public"."payment_topups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_refunds" ADD CONSTRAINT "payment_refunds_topup_id_payment_topups_id_fk" FOREIGN KEY ("topup_id") REFERENCES "public"."payment_topups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disputes_paystack_unique" ON "payment_disputes" USING btree ("paystack_dispute_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disputes_open_transaction_unique" ON "payment_disputes" USING btree ("open_transaction_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disputes_resolve_transaction_unique" ON "payment_disputes" USING btree ("resolve_transaction_id");--> statement-breakpoint
CREATE INDEX "payment_disputes_topup_idx" ON "payment_disputes" USING btree ("topup_id");--> statement-breakpoint
CREATE INDEX "payment_disputes_user_idx" ON "payment_disputes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "payment_followups_open_idx" ON "payment_followups" USING btree ("checked_at") WHERE "payment_followups"."done_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_refunds_paystack_unique" ON "payment_refunds" USING btree ("paystack_refund_id") WHERE "payment_refunds"."paystack_refund_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_refunds_request_key_unique" ON "payment_refunds" USING btree ("request_key") WHERE "payment_refunds"."request_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_refunds_ledger_transaction_unique" ON "payment_refunds" USING btree ("ledger_transaction_id");--> statement-breakpoint
CREATE INDEX "payment_refunds_topup_idx" ON "payment_refunds" USING btree ("topup_id","seq");--> statement-breakpoint
CREATE INDEX "payment_refunds_user_idx" ON "payment_refunds" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "payment_refunds_open_idx" ON "payment_refunds" USING btree ("topup_id") WHERE "payment_refunds"."status" in ('requested', 'unknown', 'pending', 'processing', 'needs-attention');--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_kind_known" CHECK ("ledger_accounts"."kind" in ('wallet', 'escrow', 'revenue', 'paystack_clearing', 'subscriptions', 'adjustments', 'receivables'));--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_kind_known" CHECK ("ledger_transactions"."kind" in ('topup', 'hold', 'capture', 'release', 'adjustment', 'reversal', 'subscription', 'refund', 'chargeback'));--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_flag_has_reason" CHECK (("wallets"."flagged_at" is null) = ("wallets"."flag_reason" is null));--> statement-breakpoint
ALTER TABLE "payment_topups" ADD CONSTRAINT "payment_topups_reversed_within_amount" CHECK ("payment_topups"."reversed_usd_cents" >= 0 and "payment_topups"."reversed_usd_cents" <= "payment_topups"."amount_usd_cents");--> statement-breakpoint
-- Platform accounts exist from the start so postings never race to create them (as in 0001).
INSERT INTO ledger_accounts (kind, currency) VALUES ('receivables', 'USD') ON CONFLICT DO NOTHING;
