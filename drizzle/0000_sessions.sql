CREATE TABLE "sessions" (
	"token" text PRIMARY KEY NOT NULL,
	"data" "bytea" NOT NULL,
	"expiry" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sessions_expiry_idx" ON "sessions" USING btree ("expiry");