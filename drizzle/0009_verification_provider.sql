DROP INDEX "verifications_provider_id_unique";--> statement-breakpoint
ALTER TABLE "verifications" ADD COLUMN "provider" text DEFAULT 'textverified' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_provider_order_unique" ON "verifications" USING btree ("provider","provider_id");--> statement-breakpoint
ALTER TABLE "verifications" ADD CONSTRAINT "verifications_provider_known" CHECK ("verifications"."provider" in ('textverified', 'fivesim'));