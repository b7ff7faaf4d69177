-- Test-only migration (QueueFaultMigrationTest): DDL on build_queue applied while workers claim and complete.
-- A new column changes the row type that claim_builds() and the completion functions return (SETOF build_queue),
-- and the index build takes a SHARE lock that writers wait for.
ALTER TABLE public.build_queue ADD COLUMN qfault_note TEXT;
CREATE INDEX build_queue_qfault_note_idx ON public.build_queue (qfault_note) WHERE qfault_note IS NOT NULL;
