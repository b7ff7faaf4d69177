package io.honua.db.tenancy;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Checks;
import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Tenancy;
import io.honua.db.internal.Transactions;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.CustomersRecord;
import io.honua.db.types.CustomerId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Customers (tenants): create, update, soft delete, restore, find, purge.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Tenant context.</b> Every call is one transaction that first sets {@code honua.tenant_id} (SET LOCAL): to the
 *       customer the call is about, or, for a DAO obtained from {@link TenantScope#customers()}, to the scope's tenant,
 *       so that a scoped DAO never sees or changes another customer (the database's row-level security refuses it).</li>
 *   <li><b>Atomic, audited.</b> Each change is one statement; the database appends one {@code audit_events} row per
 *       changed customer in the same transaction (actor: the scope's actor, else the database login role).</li>
 *   <li><b>Administrative.</b> {@link #create} and any update that sets the tier run the functions
 *       {@code admin_create_customer} / {@code admin_update_customer}, executable by {@code honua_admin} only
 *       (issue 12); other roles get {@link TenantAccessDeniedException}. The other fields are the tenant's own.</li>
 *   <li><b>Soft delete.</b> {@link #softDelete} and {@link #restore} are idempotent; a soft-deleted customer cannot be
 *       updated ({@link ConflictException}) until restored; {@link #purge} deletes customers soft-deleted longer than
 *       the retention, with all their data.</li>
 *   <li><b>Bad input</b> raises {@link InvalidRequestException}, an unknown customer {@link UnknownCustomerException},
 *       an existing id {@link CustomerExistsException}; nothing is changed.</li>
 * </ul>
 * Thread-safe.
 */
public final class Customers {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.CUSTOMERS);

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");

    private final DSLContext dsl;

    Customers(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /**
     * Creates a customer.
     *
     * @throws CustomerExistsException when the id is taken (also by a soft-deleted customer)
     * @throws InvalidRequestException on a malformed id, name (1..200), email (..320, one @), metadata (JSON object)
     * @throws TenantAccessDeniedException when a scoped DAO creates a customer other than its tenant
     */
    public Customer create(NewCustomer customer) {
        Checks.notNull(customer, "customer");
        String id = checkId(customer.customerId());
        Checks.text(customer.name(), "name", 200);
        customer.email().ifPresent(Customers::checkEmail);
        String metadata = Checks.text(customer.metadataJson(), "metadataJson", 100_000);
        return call(ERRORS.customer(id), () -> run(id, tx -> {
            Routines.adminCreateCustomer(tx.configuration(), id, customer.name(), customer.email().orElse(null),
                    customer.subscriptionStatus().dbValue(), customer.tier().dbValue(), JSONB.valueOf(metadata));
            return existing(tx, id);
        }));
    }

    /** The customer, soft-deleted or not; empty when unknown or outside this DAO's tenant scope. */
    public Optional<Customer> find(String customerId) {
        String id = checkId(customerId);
        return call(ERRORS.customer(customerId), () -> run(id, tx -> tx.selectFrom(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(id)).fetchOptional().map(Customer::of)));
    }

    /**
     * Applies the present fields of {@code update}.
     *
     * @throws UnknownCustomerException when there is no such customer (in scope)
     * @throws ConflictException        when the customer is soft-deleted
     * @throws InvalidRequestException  on bad values or an empty update
     */
    public Customer update(String customerId, CustomerUpdate update) {
        String id = checkId(customerId);
        Checks.notNull(update, "update");
        if (update.isEmpty()) {
            throw new InvalidRequestException("update changes nothing");
        }
        Map<Field<?>, Object> set = new HashMap<>();
        update.name().ifPresent(n -> set.put(CUSTOMERS.NAME, Checks.text(n, "name", 200)));
        update.email().ifPresent(e -> set.put(CUSTOMERS.EMAIL, e.isEmpty() ? null : checkEmail(e)));
        update.subscriptionStatus().ifPresent(s -> set.put(CUSTOMERS.SUBSCRIPTION_STATUS, s.dbValue()));
        update.metadataJson().ifPresent(m -> set.put(CUSTOMERS.METADATA, JSONB.valueOf(Checks.text(m, "metadataJson", 100_000))));
        if (update.tier().isPresent()) {
            // the tier is administrative (issue 12): the whole update is one call of admin_update_customer
            return call(ERRORS.customer(customerId), () -> run(id, tx -> {
                Routines.adminUpdateCustomer(tx.configuration(), id, update.tier().get().dbValue(),
                        (String) set.get(CUSTOMERS.NAME), update.email().orElse(null),
                        (String) set.get(CUSTOMERS.SUBSCRIPTION_STATUS), (JSONB) set.get(CUSTOMERS.METADATA));
                return existing(tx, id);
            }));
        }
        return call(ERRORS.customer(customerId), () -> run(id, tx -> {
            CustomersRecord r = tx.update(CUSTOMERS).set(set)
                    .where(CUSTOMERS.CUSTOMER_ID.eq(id)).and(CUSTOMERS.DELETED_AT.isNull())
                    .returning().fetchOne();
            if (r == null) {
                throw missingOrDeleted(tx, id);
            }
            return Customer.of(r);
        }));
    }

    /** Soft-deletes the customer (idempotent: an already deleted customer is returned unchanged). */
    public Customer softDelete(String customerId) {
        String id = checkId(customerId);
        return call(ERRORS.customer(customerId), () -> run(id, tx -> {
            CustomersRecord r = tx.update(CUSTOMERS).set(CUSTOMERS.DELETED_AT, DSL.currentInstant())
                    .where(CUSTOMERS.CUSTOMER_ID.eq(id)).and(CUSTOMERS.DELETED_AT.isNull())
                    .returning().fetchOne();
            return r != null ? Customer.of(r) : existing(tx, id);
        }));
    }

    /** Undoes a soft delete (idempotent: a live customer is returned unchanged). */
    public Customer restore(String customerId) {
        String id = checkId(customerId);
        return call(ERRORS.customer(customerId), () -> run(id, tx -> {
            CustomersRecord r = tx.update(CUSTOMERS).setNull(CUSTOMERS.DELETED_AT)
                    .where(CUSTOMERS.CUSTOMER_ID.eq(id)).and(CUSTOMERS.DELETED_AT.isNotNull())
                    .returning().fetchOne();
            return r != null ? Customer.of(r) : existing(tx, id);
        }));
    }

    /**
     * Permanently deletes customers soft-deleted longer than {@code retention} (whole days), with all their data
     * ({@code purge_soft_deleted_records}). Run it as the worker role: under the application role it only reaches the
     * scope's tenant (unscoped: nothing).
     *
     * @return number of customers purged
     */
    public int purge(Duration retention) {
        Checks.notNull(retention, "retention");
        if (retention.isNegative() || retention.toDays() > 36_500) {
            throw new InvalidRequestException("retention must be 0..36500 days, got " + retention);
        }
        int days = (int) retention.toDays();
        // on a tenant scope's context the purge runs as that tenant (the binding is the context's)
        Integer n = call(ERRORS, () -> Transactions.inTransaction(dsl, tx -> Routines.purgeSoftDeletedRecords(tx.configuration(), days)));
        return n == null ? 0 : n;
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    /** In a transaction as {@code customerId}, or, on a tenant scope's context, as its tenant (others are not visible). */
    private <T> T run(String customerId, Function<DSLContext, T> work) {
        return Tenancy.inTenantOrScope(dsl, customerId, work);
    }

    static String checkId(String customerId) {
        return CustomerId.check(customerId);
    }

    private static String checkEmail(String email) {
        Checks.text(email, "email", 320);
        if (!EMAIL.matcher(email).matches()) {
            throw new InvalidRequestException("email must look like name@domain");
        }
        return email;
    }

    private static Customer existing(DSLContext tx, String id) {
        return tx.selectFrom(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(id)).fetchOptional().map(Customer::of)
                .orElseThrow(() -> new UnknownCustomerException("no customer " + id));
    }

    private static HonuaException missingOrDeleted(DSLContext tx, String id) {
        Customer c = existing(tx, id);
        return new ConflictException("customer " + id + " is soft-deleted since " + c.deletedAt().orElseThrow() + "; restore it first");
    }

}
