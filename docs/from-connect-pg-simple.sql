-- Copies the live sessions of connect-pg-simple into drizzle-pgstore's table, so that
-- nobody is signed out by the switch. Run it once, after creating `sessions` (the shipped
-- migration) and before the app starts on drizzle-pgstore; running it again is harmless.
--
-- `expire` is a timestamp WITHOUT time zone, written in the TimeZone of the connection
-- that wrote it (the server's, unless the app sets one): run this on a connection with
-- that same TimeZone. `sess` is JSON text, which is what the default serializer reads.
-- A session already in `sessions` is left as it is.
--
-- With `hashTokens: true` (the default), store the hash instead of the id (SHA-256, base64url without
-- padding, as hashToken() and SCS compute it): replace `sid,` in the SELECT list with
-- `rtrim(translate(encode(sha256(convert_to(sid, 'UTF8')), 'base64'), '+/', '-_'), '='),`
INSERT INTO sessions (token, data, expiry)
SELECT sid, convert_to(sess::text, 'UTF8'), expire AT TIME ZONE current_setting('TimeZone')
FROM session
WHERE expire AT TIME ZONE current_setting('TimeZone') > current_timestamp
ON CONFLICT (token) DO NOTHING;
