package io.honua.db.internal;

/**
 * A jOOQ connection provider whose every connection is inside a transaction of one tenant (a {@code TenantScope}'s).
 * {@link Transactions#inTenant} reads it: a DAO obtained from a tenant scope cannot act for another customer id.
 */
public interface TenantBound {

    /** The customer id every transaction of this provider is bound to. */
    String tenant();
}
