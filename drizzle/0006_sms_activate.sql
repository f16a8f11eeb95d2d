CREATE TABLE "sms_activate_retries" (
	"activation_id" bigint PRIMARY KEY NOT NULL,
	"messages_seen" integer NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "verifications" ADD COLUMN "serial" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "verifications_serial_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 100001 CACHE 1);--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_serial_unique" ON "verifications" USING btree ("serial");