package io.honua.db.intake;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.BUILD_MANIFESTS;
import static io.honua.db.schema.generated.Tables.CREATE_MANIFEST_VERSION;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.core.ConflictException;
import io.honua.db.internal.Transactions;
import io.honua.db.queue.BuildQueue;
import io.honua.db.schema.generated.tables.records.BuildManifestsRecord;
import io.honua.db.types.CustomerId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Build manifests: versioned build configurations, usually generated from a conversation.
 *
 * <p>Guarantees, enforced by the database (V9__intake.sql):
 * <ul>
 *   <li><b>Digest.</b> Every version's digest is the SHA-256 of its canonical content, computed by the database; equal
 *       content has equal digests however the JSON was formatted.</li>
 *   <li><b>Immutable once published.</b> Changing a published version's content, validation or identity is refused by
 *       a trigger ({@link ManifestPublishedException}), whoever issues the UPDATE. A change is a new version
 *       ({@link #newVersion}): latest + 1, new digest, validation pending. Concurrent new versions of one manifest get
 *       consecutive numbers. Deployment tracking stays updatable.</li>
 *   <li><b>Only valid manifests</b> are published or built ({@link ManifestNotValidException}); only published ones
 *       are deployed.</li>
 *   <li><b>Atomic hand-off.</b> {@link #enqueueBuild} publishes the manifest and enqueues its build in one
 *       transaction: both happen or neither.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class Manifests {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.INTAKE);

    private final DSLContext dsl;
    private final BuildQueue queue;

    Manifests(DSLContext dsl, BuildQueue queue) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.queue = Objects.requireNonNull(queue, "queue");
    }

    /**
     * Creates version 1 of a manifest, pending validation.
     *
     * @throws ConflictException when the customer already has a manifest of that name (use {@link #newVersion}),
     *                           or the conversation belongs to another customer
     */
    public Manifest create(NewManifest manifest) {
        Checks.notNull(manifest, "manifest");
        return call(ERRORS, () -> Manifest.of(dsl.insertInto(BUILD_MANIFESTS)
                .set(BUILD_MANIFESTS.CUSTOMER_ID, manifest.customerId())
                .set(BUILD_MANIFESTS.CONVERSATION_ID, manifest.conversationId().orElse(null))
                .set(BUILD_MANIFESTS.NAME, manifest.name())
                .set(BUILD_MANIFESTS.VERSION, 1)
                .set(BUILD_MANIFESTS.MANIFEST, JSONB.valueOf(manifest.manifestJson()))
                // placeholder: the database computes the digest from the content
                .set(BUILD_MANIFESTS.MANIFEST_DIGEST, DSL.inline("0".repeat(64)))
                .returning().fetchSingle()));
    }

    /**
     * Creates the next version (latest + 1) of the manifest family {@code fromManifestId} belongs to, with new
     * content: pending validation, unpublished, new digest. Keeps the conversation link.
     *
     * @throws UnknownManifestException when there is no such manifest
     * @throws ConflictException        when the content equals the latest version's
     */
    public Manifest newVersion(UUID fromManifestId, String manifestJson) {
        Checks.notNull(fromManifestId, "fromManifestId");
        Checks.notNull(manifestJson, "manifestJson");
        return call(ERRORS, () -> Manifest.of(CREATE_MANIFEST_VERSION(dsl.configuration(), fromManifestId, JSONB.valueOf(manifestJson), null)
                .getFirst()));
    }

    /**
     * Replaces the content of an unpublished version in place (validation goes back to pending).
     *
     * @throws ManifestPublishedException when the version is published (the database refuses)
     */
    public Manifest replaceDraft(UUID manifestId, String manifestJson) {
        Checks.notNull(manifestId, "manifestId");
        Checks.notNull(manifestJson, "manifestJson");
        return update(manifestId, dsl.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.MANIFEST, JSONB.valueOf(manifestJson)));
    }

    /**
     * Records the result of validating a version: VALID when {@code errors} is empty, INVALID otherwise.
     *
     * @param errors human-readable validation errors, stored as a JSON array of strings
     * @throws ManifestPublishedException when the version is published
     */
    public Manifest recordValidation(UUID manifestId, List<String> errors) {
        Checks.notNull(manifestId, "manifestId");
        Checks.noNulls(errors, "errors");
        // to_jsonb(text[]) renders the list as a JSON array of strings, escaping done by the database
        org.jooq.Field<JSONB> json = DSL.function(DSL.name("pg_catalog", "to_jsonb"), JSONB.class, DSL.val(errors.toArray(String[]::new)));
        return update(manifestId, dsl.update(BUILD_MANIFESTS)
                .set(BUILD_MANIFESTS.VALIDATION_STATUS, (errors.isEmpty() ? ManifestValidationStatus.VALID : ManifestValidationStatus.INVALID).dbValue())
                .set(BUILD_MANIFESTS.VALIDATION_ERRORS, json));
    }

    /**
     * Publishes a VALID version: from now on it is immutable. Publishing a published version is a no-op.
     *
     * @throws ManifestNotValidException when the version is not VALID
     */
    public Manifest publish(UUID manifestId) {
        Checks.notNull(manifestId, "manifestId");
        return call(ERRORS, () -> Transactions.inTransaction(dsl, tx -> publish(tx, manifestId)));
    }

    private static Manifest publish(DSLContext tx, UUID manifestId) {
        BuildManifestsRecord r = tx.selectFrom(BUILD_MANIFESTS).where(BUILD_MANIFESTS.ID.eq(manifestId)).forUpdate().fetchOptional()
                .orElseThrow(() -> new UnknownManifestException("no manifest " + manifestId));
        if (r.getPublishedAt() != null) {
            return Manifest.of(r);
        }
        if (!ManifestValidationStatus.VALID.dbValue().equals(r.getValidationStatus())) {
            throw new ManifestNotValidException("manifest " + manifestId + " is " + r.getValidationStatus()
                    + " and cannot be published or built: only a valid manifest can");
        }
        return Manifest.of(tx.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.PUBLISHED_AT, DSL.currentInstant())
                .where(BUILD_MANIFESTS.ID.eq(manifestId)).returning().fetchSingle());
    }

    /**
     * Hands a VALID manifest version to the build queue: publishes it (if not yet) and enqueues a build of it for its
     * customer, with its digest as manifest hash and its content as build configuration, in one transaction.
     *
     * @throws ManifestNotValidException when the version is not VALID (nothing published, nothing queued)
     * @throws UnknownManifestException  when there is no such manifest
     */
    public ManifestBuild enqueueBuild(UUID manifestId, ManifestBuildOptions options) {
        Checks.notNull(manifestId, "manifestId");
        Checks.notNull(options, "options");
        return call(ERRORS, () -> Transactions.inTransaction(dsl, tx -> {
            Manifest m = publish(tx, manifestId);
            return new ManifestBuild(m, queue.enqueue(tx, options.buildOf(m)));
        }));
    }

    /**
     * Records deployment progress of a published version; entering DEPLOYED stamps {@code deployedAt}.
     *
     * @param target where it is deployed (1..500 characters)
     * @throws ConflictException when the version is not published
     */
    public Manifest recordDeployment(UUID manifestId, DeploymentStatus status, String target) {
        Checks.notNull(manifestId, "manifestId");
        Checks.notNull(status, "status");
        Checks.text(target, "target", 500);
        return update(manifestId, dsl.update(BUILD_MANIFESTS)
                .set(BUILD_MANIFESTS.DEPLOYMENT_STATUS, status.dbValue())
                .set(BUILD_MANIFESTS.DEPLOYMENT_TARGET, target));
    }

    public Optional<Manifest> find(UUID manifestId) {
        Checks.notNull(manifestId, "manifestId");
        return call(ERRORS, () -> dsl.selectFrom(BUILD_MANIFESTS).where(BUILD_MANIFESTS.ID.eq(manifestId)).fetchOptional().map(Manifest::of));
    }

    /** Every version of a customer's manifest, oldest first. */
    public List<Manifest> versions(String customerId, String name) {
        CustomerId.check(customerId);
        Checks.text(name, "name", 200);
        return call(ERRORS.customer(customerId), () -> dsl.selectFrom(BUILD_MANIFESTS)
                .where(BUILD_MANIFESTS.CUSTOMER_ID.eq(customerId)).and(BUILD_MANIFESTS.NAME.eq(name))
                .orderBy(BUILD_MANIFESTS.VERSION).fetch(Manifest::of));
    }

    /** Manifests generated from a conversation, by name then version. */
    public List<Manifest> ofConversation(UUID conversationId) {
        Checks.notNull(conversationId, "conversationId");
        return call(ERRORS, () -> dsl.selectFrom(BUILD_MANIFESTS).where(BUILD_MANIFESTS.CONVERSATION_ID.eq(conversationId))
                .orderBy(BUILD_MANIFESTS.NAME, BUILD_MANIFESTS.VERSION).fetch(Manifest::of));
    }

    private Manifest update(UUID manifestId, org.jooq.UpdateSetMoreStep<BuildManifestsRecord> update) {
        return call(ERRORS, () -> update.where(BUILD_MANIFESTS.ID.eq(manifestId)).returning().fetchOptional())
                .map(Manifest::of)
                .orElseThrow(() -> new UnknownManifestException("no manifest " + manifestId));
    }
}
