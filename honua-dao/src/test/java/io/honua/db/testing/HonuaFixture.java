package io.honua.db.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testkit.HonuaDatabase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most DAO test classes repeat, once: the class's own migrated database ({@link HonuaDatabase}), a
 * {@link HonuaDb} of the owner role over a pool ({@link Fixtures#pool}) or, with {@link #unpooled()}, over the
 * database's unpooled data source, and on request pools of the login roles of {@code honua_app}, {@code honua_worker}
 * and {@code honua_admin} ({@link Fixtures#appPool}, {@link Fixtures#workerPool}, {@link Fixtures#adminPool}), each
 * with a {@code HonuaDb.create} over it, and further owner-role pools of their own settings (timeouts, application
 * name), by name ({@link #withNamedPool}):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final HonuaFixture fx = HonuaFixture.withPool(4).withAppPool(4)
 *         .withNamedPool("listen", 2, config -> config.setConnectionTimeout(1_000));
 * }</pre>
 *
 * Register it as a {@code static final} {@code @RegisterExtension} field and configure it only there. It guarantees:
 * <ul>
 *   <li>the database, the pools and the {@code HonuaDb}s exist before the class's {@code @BeforeAll} methods run;</li>
 *   <li>after the class (after its {@code @AfterAll} methods) every pool the fixture opened is closed, also when
 *       opening a later one failed, and only then the database is dropped;</li>
 *   <li>the accessor of a pool that was not asked for throws {@link IllegalStateException}.</li>
 * </ul>
 */
public final class HonuaFixture implements BeforeAllCallback, AfterAllCallback {

    private final HonuaDatabase db = HonuaDatabase.migrated();
    private final int poolSize;   // 0: no owner pool, honua() is over db().dataSource()
    private final Function<DataSource, HonuaDb> factory;
    private final RolePool app = new RolePool("withAppPool", Fixtures::appPool);
    private final RolePool worker = new RolePool("withWorkerPool", Fixtures::workerPool);
    private final RolePool admin = new RolePool("withAdminPool", Fixtures::adminPool);
    private final Map<String, NamedPool> named = new LinkedHashMap<>();
    private final List<HikariDataSource> opened = new ArrayList<>();
    private HikariDataSource pool;
    private HonuaDb honua;

    private HonuaFixture(int poolSize, Function<DataSource, HonuaDb> factory) {
        this.poolSize = poolSize;
        this.factory = factory;
    }

    /** A database, a pool of {@code poolSize} connections and {@code HonuaDb.create(pool)}. */
    public static HonuaFixture withPool(int poolSize) {
        return new HonuaFixture(requirePositive(poolSize), HonuaDb::create);
    }

    /** As {@link #withPool(int)}, with the {@code HonuaDb} made by {@code factory} (e.g. with queue options). */
    public static HonuaFixture withPool(int poolSize, Function<DataSource, HonuaDb> factory) {
        return new HonuaFixture(requirePositive(poolSize), factory);
    }

    /** A database and {@code HonuaDb.create(db().dataSource())}: the owner role without a pool (no {@link #pool()}). */
    public static HonuaFixture unpooled() {
        return new HonuaFixture(0, HonuaDb::create);
    }

    /** Adds a {@code size}-connection pool as {@value Fixtures#APP_LOGIN}: {@link #appPool()}, {@link #app()}. */
    public HonuaFixture withAppPool(int size) {
        app.size = requirePositive(size);
        return this;
    }

    /** Adds a {@code size}-connection pool as {@value Fixtures#WORKER_LOGIN}: {@link #workerPool()}, {@link #worker()}. */
    public HonuaFixture withWorkerPool(int size) {
        worker.size = requirePositive(size);
        return this;
    }

    /** Adds a {@code size}-connection pool as {@value Fixtures#ADMIN_LOGIN}: {@link #adminPool()}, {@link #admin()}. */
    public HonuaFixture withAdminPool(int size) {
        admin.size = requirePositive(size);
        return this;
    }

    /**
     * Adds an owner-role pool of {@code size} connections named {@code name}: {@link Fixtures#poolConfig} with
     * {@code name} as pool name, then {@code tune} (e.g. connection timeout, minimum idle, an
     * {@code ApplicationName}), opened after the other pools: {@link #pool(String)}.
     */
    public HonuaFixture withNamedPool(String name, int size, Consumer<HikariConfig> tune) {
        if (named.containsKey(name)) {
            throw new IllegalArgumentException("a pool named " + name + " is configured already");
        }
        named.put(name, new NamedPool(requirePositive(size), tune));
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        db.beforeAll(context);
        if (poolSize > 0) {
            pool = open(Fixtures.pool(db, poolSize));
        }
        honua = factory.apply(pool != null ? pool : db.dataSource());
        for (RolePool r : List.of(app, worker, admin)) {
            if (r.size > 0) {
                r.pool = open(r.opener.apply(db, r.size));
                r.honua = HonuaDb.create(r.pool);
            }
        }
        named.forEach((name, n) -> {
            HikariConfig config = Fixtures.poolConfig(db, n.size, name);
            n.tune.accept(config);
            n.pool = open(new HikariDataSource(config));
        });
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            RuntimeException failed = null;
            for (HikariDataSource p : opened.reversed()) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (failed == null) {
                        failed = e;
                    } else {
                        failed.addSuppressed(e);
                    }
                }
            }
            opened.clear();
            if (failed != null) {
                throw failed;
            }
        } finally {
            db.afterAll(context);
        }
    }

    /** The class's database (plain {@code DSL.using(db().dataSource(), …)}, pools of other settings). */
    public HonuaDatabase db() {
        return db;
    }

    /** The owner-role pool. */
    public HikariDataSource pool() {
        return require(pool, "an owner pool: HonuaFixture.withPool(n)");
    }

    /** The owner role's {@code HonuaDb}: over {@link #pool()}, or over {@code db().dataSource()} if {@link #unpooled()}. */
    public HonuaDb honua() {
        return require(honua, "HonuaFixture as a static @RegisterExtension field");
    }

    public DSLContext dsl() {
        return honua().dsl();
    }

    /** The pool configured by {@link #withNamedPool} with this name. */
    public HikariDataSource pool(String name) {
        NamedPool n = named.get(name);
        return require(n == null ? null : n.pool, "HonuaFixture.withNamedPool(\"" + name + "\", n, tune)");
    }

    public HikariDataSource appPool() {
        return app.pool();
    }

    /** {@code HonuaDb.create(appPool())}. */
    public HonuaDb app() {
        return app.honua();
    }

    public HikariDataSource workerPool() {
        return worker.pool();
    }

    /** {@code HonuaDb.create(workerPool())}. */
    public HonuaDb worker() {
        return worker.honua();
    }

    public HikariDataSource adminPool() {
        return admin.pool();
    }

    /** {@code HonuaDb.create(adminPool())}. */
    public HonuaDb admin() {
        return admin.honua();
    }

    private HikariDataSource open(HikariDataSource p) {
        opened.add(p);
        return p;
    }

    private static int requirePositive(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be positive, got " + size);
        }
        return size;
    }

    private static <T> T require(T value, String configure) {
        if (value == null) {
            throw new IllegalStateException("not available: register " + configure + " (and use it in its test class)");
        }
        return value;
    }

    /** An owner-role pool of {@link #withNamedPool}. */
    private static final class NamedPool {
        private final int size;
        private final Consumer<HikariConfig> tune;
        private HikariDataSource pool;

        private NamedPool(int size, Consumer<HikariConfig> tune) {
            this.size = size;
            this.tune = tune;
        }
    }

    /** A login role's pool, opened when {@code size} is set, and the {@code HonuaDb} over it. */
    private static final class RolePool {
        private final String method;
        private final BiFunction<HonuaDatabase, Integer, HikariDataSource> opener;
        private int size;
        private HikariDataSource pool;
        private HonuaDb honua;

        private RolePool(String method, BiFunction<HonuaDatabase, Integer, HikariDataSource> opener) {
            this.method = method;
            this.opener = opener;
        }

        private HikariDataSource pool() {
            return require(pool, "HonuaFixture." + method + "(n)");
        }

        private HonuaDb honua() {
            return require(honua, "HonuaFixture." + method + "(n)");
        }
    }
}
