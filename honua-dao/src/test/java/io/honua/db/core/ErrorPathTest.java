package io.honua.db.core;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.internal.SqlState;
import io.honua.db.queue.ArtifactType;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.Completion;
import io.honua.db.queue.DependencyCycleException;
import io.honua.db.queue.LeaseLostException;
import io.honua.db.queue.NewArtifact;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.tenancy.TenantAccessDeniedException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The one error path: the SQLSTATE catalogue is complete, and bad input of every kind becomes a typed exception. */
class ErrorPathTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4).withAppPool(4);

    static DSLContext sql;

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
    }

    @Test
    void everySqlStateTheSqlRaisesIsCatalogued() throws IOException {
        Path migrations = Path.of("..", "honua-schema", "src", "main", "resources", "db", "migration");
        Pattern raised = Pattern.compile("ERRCODE\\s*=\\s*'([0-9A-Z]{5})'");
        Set<String> codes = new TreeSet<>();
        try (Stream<Path> files = Files.list(migrations)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".sql")).toList()) {
                Matcher m = raised.matcher(Files.readString(f));
                while (m.find()) {
                    codes.add(m.group(1));
                }
            }
        }
        assertThat(codes).contains("HA001", "HI001", "HL003", "HN404", "HQ001", "42501", "22023");
        // 42703 is raised only by the operator function enable_tenant_isolation (not called by any DAO)
        codes.remove("42703");
        assertThat(codes).allSatisfy(code -> assertThat(SqlState.of(code)).as(code).isPresent());
    }

    /**
     * The catalogue is the only place in Java that writes a SQLSTATE: no other main source of this module has a
     * string literal that looks like one (five digits or capitals with a digit: {@code "42501"}, {@code "HA001"},
     * {@code "0A000"}), nor tests a state against a class prefix ({@code startsWith("08")}, {@code startsWith("57P")}).
     * Comments are not code and may name them.
     */
    @Test
    void noSqlStateLiteralOutsideTheCatalogue() throws IOException {
        Path main = Path.of("src", "main", "java");
        Path catalogue = main.resolve(Path.of("io", "honua", "db", "internal", "SqlState.java"));
        assertThat(catalogue).exists();
        Pattern code = Pattern.compile("[0-9A-Z]{5}");
        Pattern classPrefix = Pattern.compile("startsWith\\(\\s*\"([0-9A-Z]{2}P?)\"\\s*\\)");
        Set<String> found = new TreeSet<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.equals(catalogue)).toList()) {
                scanned++;
                JavaText text = JavaText.of(Files.readString(f));
                for (String literal : text.literals()) {
                    if (code.matcher(literal).matches() && literal.chars().anyMatch(Character::isDigit)) {
                        found.add(f + ": \"" + literal + "\"");
                    }
                }
                Matcher m = classPrefix.matcher(text.code());
                while (m.find()) {
                    found.add(f + ": startsWith(\"" + m.group(1) + "\")");
                }
            }
        }
        assertThat(scanned).isGreaterThan(100);
        assertThat(found).as("SQLSTATEs belong in io.honua.db.internal.SqlState").isEmpty();

        // the scanner itself: it sees literals and class tests in code, not in comments
        JavaText probe = JavaText.of("""
                // "42501" in a comment
                /* startsWith("08") */ String a = "HA001"; boolean b = s.startsWith("57P") || s.equals("x\\"y");
                char c = '"'; String t = \"""
                    0A000\""";
                """);
        assertThat(probe.literals()).contains("HA001", "57P", "x\"y", "0A000").doesNotContain("42501", "08");
        assertThat(probe.code()).contains("startsWith(\"57P\")").doesNotContain("08");
    }

    /** Java source split into its code (comments removed, literals kept in place) and its string literals. */
    private record JavaText(String code, java.util.List<String> literals) {

        static JavaText of(String src) {
            StringBuilder code = new StringBuilder(src.length());
            java.util.List<String> literals = new java.util.ArrayList<>();
            int i = 0;
            int n = src.length();
            while (i < n) {
                char c = src.charAt(i);
                if (src.startsWith("//", i)) {
                    int end = src.indexOf('\n', i);
                    i = end < 0 ? n : end;
                } else if (src.startsWith("/*", i)) {
                    int end = src.indexOf("*/", i + 2);
                    i = end < 0 ? n : end + 2;
                    code.append(' ');
                } else if (src.startsWith("\"\"\"", i)) {
                    int start = src.indexOf('\n', i) + 1;
                    int end = src.indexOf("\"\"\"", start);
                    String body = src.substring(start, end);
                    literals.add(body.stripIndent().translateEscapes());
                    code.append(src, i, end + 3);
                    i = end + 3;
                } else if (c == '"' || c == '\'') {
                    int j = i + 1;
                    while (src.charAt(j) != c) {
                        j += src.charAt(j) == '\\' ? 2 : 1;
                    }
                    if (c == '"') {
                        literals.add(src.substring(i + 1, j).translateEscapes());
                    }
                    code.append(src, i, j + 1);
                    i = j + 1;
                } else {
                    code.append(c);
                    i++;
                }
            }
            return new JavaText(code.toString(), literals);
        }
    }

    @Test
    void nulCharactersInTextAreInvalidRequests() {
        String id = "nul-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> fx.honua().customers().create(NewCustomer.builder(id, "bad\u0000name").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(id))).isZero();

        String c = Fixtures.newCustomer(fx.honua());
        int before = sql.fetchCount(BUILD_QUEUE);
        assertThatThrownBy(() -> fx.honua().buildQueue().enqueue(NewBuild.builder(c).idempotencyKey("k\u0000").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(BUILD_QUEUE)).isEqualTo(before);
    }

    @Test
    void notBeforeOutsideTheDatabaseRangeIsAnInvalidRequest() {
        String c = Fixtures.newCustomer(fx.honua());
        for (Instant extreme : new Instant[] {Instant.MAX, Instant.MIN}) {
            assertThatThrownBy(() -> fx.honua().buildQueue().enqueue(NewBuild.builder(c).notBefore(extreme).build()))
                    .isInstanceOf(InvalidRequestException.class);
        }
        assertThat(sql.fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isZero();
    }

    @Test
    void unknownCustomerCarriesTheCustomerId() {
        String nobody = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> fx.honua().buildCache().licenseTier(nobody))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
        assertThatThrownBy(() -> fx.honua().customers().softDelete(nobody))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
    }

    @Test
    void queueExceptionsCarryTheBuildOrCustomer() {
        BuildQueue queue = fx.honua().buildQueue();
        UUID none = UUID.randomUUID();
        for (ThrowingCallable call : java.util.List.<ThrowingCallable>of(
                () -> queue.heartbeat(none, "w"),
                () -> queue.complete(none, "w", Completion.builder(Duration.ofSeconds(1)).build()),
                () -> queue.complete(none, "w", Completion.builder(Duration.ofSeconds(1))
                        .artifact(NewArtifact.of(ArtifactType.LOG, "log", "s3://b/log", Fixtures.sha256("log"), 1)).build()),
                () -> queue.fail(none, "w", "boom"),
                () -> queue.release(none, "w"),
                () -> queue.cancel(none, "gone"),
                () -> fx.honua().buildDependencies().dependencies(none))) {
            assertThatThrownBy(call).isInstanceOfSatisfying(UnknownBuildException.class, e -> assertThat(e.buildId()).contains(none));
        }

        String c = Fixtures.newCustomer(fx.honua());
        Build queued = queue.enqueue(NewBuild.builder(c).build());
        // queued, held by nobody: this worker lost (never had) the lease
        assertThatThrownBy(() -> queue.heartbeat(queued.id(), "w"))
                .isInstanceOfSatisfying(LeaseLostException.class, e -> assertThat(e.buildId()).contains(queued.id()));
        assertThatThrownBy(() -> queue.updateProgress(queued.id(), "w", 5, "step"))
                .isInstanceOfSatisfying(LeaseLostException.class, e -> assertThat(e.buildId()).contains(queued.id()));
        // a dependency on a build that does not exist (foreign key): either build may be the unknown one, none is named
        assertThatThrownBy(() -> queue.addDependency(queued.id(), none))
                .isInstanceOfSatisfying(UnknownBuildException.class, e -> assertThat(e.buildId()).isEmpty());
        assertThatThrownBy(() -> queue.addDependency(queued.id(), queued.id()))
                .isInstanceOfSatisfying(DependencyCycleException.class, e -> assertThat(e.buildId()).contains(queued.id()));
        queue.cancel(queued.id(), "done");
        assertThatThrownBy(() -> queue.cancel(queued.id(), "again"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.buildId()).contains(queued.id()));

        String nobody = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(nobody).build()))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
        assertThatThrownBy(() -> queue.enqueueAll(java.util.List.of(NewBuild.builder(nobody).build(), NewBuild.builder(nobody).build())))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
        // a batch of several customers names none of them
        assertThatThrownBy(() -> queue.enqueueAll(java.util.List.of(NewBuild.builder(c).build(), NewBuild.builder(nobody).build())))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).isEmpty());
        assertThatThrownBy(() -> queue.setFairShareWeight(nobody, 2))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
    }

    @Test
    void insufficientPrivilegeIsTenantAccessDeniedInEveryCapability() {
        String mine = Fixtures.newCustomer(fx.honua());
        String theirs = Fixtures.newCustomer(fx.honua());
        int before = sql.fetchCount(BUILD_QUEUE);
        // row-level security refuses a tenant's enqueue for another tenant
        assertThatThrownBy(() -> fx.app().forTenant(mine).buildQueue().enqueue(NewBuild.builder(theirs).build()))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThat(sql.fetchCount(BUILD_QUEUE)).isEqualTo(before);
    }
}
