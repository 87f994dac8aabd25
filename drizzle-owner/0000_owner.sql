ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS "owner" text;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "sessions_owner_idx" ON "sessions" USING btree ("owner") WHERE "sessions"."owner" is not null;
