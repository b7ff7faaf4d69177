-- Core helpers shared by every capability (uuid v7 ids, updated_at).
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.uuid_generate_v7()
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_bytes BYTEA := gen_random_bytes(16);
    v_ms    BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
    v_bytes := overlay(v_bytes PLACING substring(int8send(v_ms) FROM 3) FROM 1 FOR 6);
    v_bytes := set_byte(v_bytes, 6, (get_byte(v_bytes, 6) & 15) | 112);   -- version 7
    v_bytes := set_byte(v_bytes, 8, (get_byte(v_bytes, 8) & 63) | 128);   -- variant 10
    RETURN encode(v_bytes, 'hex')::uuid;
END $function$;
COMMENT ON FUNCTION public.uuid_generate_v7() IS 'Time-sortable UUID v7 (works on PostgreSQL 15+, before uuidv7() existed).';
