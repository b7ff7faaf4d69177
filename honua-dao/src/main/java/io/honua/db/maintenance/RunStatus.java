package io.honua.db.maintenance;

import io.honua.db.types.DbEnum;

/**
 * How a recorded run of a maintenance job went: the {@code maintenance_runs.status} column ({@code 'succeeded'},
 * {@code 'failed'}), read and written through the one enum converter. Exposed as {@link RecordedRun#succeeded()}.
 */
enum RunStatus implements DbEnum {
    SUCCEEDED, FAILED
}
