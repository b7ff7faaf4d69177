-- V19 (issue 14): the W3C trace context of the request that enqueued a build, so the worker that runs it can link its
-- spans to that request (honua-opentelemetry).
--
-- trace_parent  the W3C traceparent header (version 00): 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>,
--               lowercase, trace id and span id not all zeros (those are invalid by the W3C spec).
-- trace_state   the W3C tracestate header that came with it (vendor key=value list), printable ASCII, at most 512
--               characters (the length the spec asks propagators to keep); only with a trace_parent.
-- Both are written once by enqueue_builds (body in R__queue.sql) and never changed; the older free-form trace_id
-- column stays as it is. The application role reads and inserts them through its table-level SELECT, INSERT (V13);
-- it gets no UPDATE on them.
ALTER TABLE public.build_queue
    ADD COLUMN trace_parent TEXT
        CONSTRAINT chk_build_queue_trace_parent
        CHECK (trace_parent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
               AND substr(trace_parent, 4, 32) <> repeat('0', 32)
               AND substr(trace_parent, 37, 16) <> repeat('0', 16)),
    ADD COLUMN trace_state TEXT
        CONSTRAINT chk_build_queue_trace_state
        CHECK (trace_state IS NULL
               OR (length(trace_state) <= 512 AND trace_state ~ '^[ -~]+$' AND trace_parent IS NOT NULL));
COMMENT ON COLUMN public.build_queue.trace_parent IS
    'W3C traceparent (version 00) of the request that enqueued the build; NULL when none was given.';
COMMENT ON COLUMN public.build_queue.trace_state IS
    'W3C tracestate that came with trace_parent (printable ASCII, at most 512 characters); NULL when none.';

-- Changed signature (body in R__queue.sql): enqueue_builds gains p_trace_parents and p_trace_states. The old
-- signature exists only in databases migrated before (R__queue.sql creates it after all versioned migrations).
DROP FUNCTION IF EXISTS public.enqueue_builds(text[], integer[], uuid[], text[], text[], bigint[], integer[], integer[], text[], text[], text[], bigint, boolean);
