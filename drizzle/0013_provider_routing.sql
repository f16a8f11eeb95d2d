CREATE TABLE "provider_routing_rules" (
	"service" text PRIMARY KEY NOT NULL,
	"pinned" text,
	"disabled" text[] DEFAULT '{}'::text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_routing_rules_pinned_known" CHECK ("provider_routing_rules"."pinned" is null or "provider_routing_rules"."pinned" in ('textverified', 'fivesim')),
	CONSTRAINT "provider_routing_rules_disabled_known" CHECK ("provider_routing_rules"."disabled" <@ array['textverified', 'fivesim']::text[])
);
