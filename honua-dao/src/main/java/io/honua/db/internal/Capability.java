package io.honua.db.internal;

/**
 * The capability a database call belongs to. {@link ErrorTranslator} uses it for the few SQLSTATEs whose meaning
 * depends on the tables involved (a unique violation in {@code customers} is "customer exists", in
 * {@code registry_credentials} "name taken"), and as the prefix of the messages it writes.
 */
public enum Capability {
    ANALYTICS("analytics"),
    API_KEYS("api keys"),
    AUDIT("audit log"),
    CACHE("build cache"),
    CREDENTIALS("registry credentials"),
    CUSTOMERS("customers"),
    INTAKE("intake"),
    LICENSES("licenses"),
    MAINTENANCE("maintenance runs"),
    METRICS("build metrics"),
    OPERATIONS("operations"),
    PARTITIONS("partition maintenance"),
    QUEUE("build queue");

    private final String label;

    Capability(String label) {
        this.label = label;
    }

    /** Human-readable name, used as message prefix. */
    public String label() {
        return label;
    }
}
