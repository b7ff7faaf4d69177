package io.honua.db.testing;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testkit.HonuaDatabase;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most DAO test classes repeat, once: the class's own migrated database ({@link HonuaDatabase}), a pool of
 * the owner role ({@link Fixtures#pool}) and a {@link HonuaDb} over it; after the class the pool is closed, then the
 * database dropped. Register it as a {@code static final} {@code @RegisterExtension} field; {@code @BeforeAll} methods
 * of the class already see {@link #honua()}.
 */
public final class HonuaFixture implements BeforeAllCallback, AfterAllCallback {

    private final HonuaDatabase db = HonuaDatabase.migrated();
    private final int poolSize;
    private final Function<DataSource, HonuaDb> factory;
    private HikariDataSource pool;
    private HonuaDb honua;

    private HonuaFixture(int poolSize, Function<DataSource, HonuaDb> factory) {
        this.poolSize = poolSize;
        this.factory = factory;
    }

    /** A database, a pool of {@code poolSize} connections and {@code HonuaDb.create(pool)}. */
    public static HonuaFixture withPool(int poolSize) {
        return new HonuaFixture(poolSize, HonuaDb::create);
    }

    /** As {@link #withPool(int)}, with the {@code HonuaDb} made by {@code factory} (e.g. with queue options). */
    public static HonuaFixture withPool(int poolSize, Function<DataSource, HonuaDb> factory) {
        return new HonuaFixture(poolSize, factory);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        db.beforeAll(context);
        pool = Fixtures.pool(db, poolSize);
        honua = factory.apply(pool);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        } finally {
            db.afterAll(context);
        }
    }

    /** The class's database (for other role pools: {@link Fixtures#appPool}, {@link Fixtures#workerPool}). */
    public HonuaDatabase db() {
        return db;
    }

    /** The owner-role pool. */
    public HikariDataSource pool() {
        return pool;
    }

    public HonuaDb honua() {
        return honua;
    }

    public DSLContext dsl() {
        return honua.dsl();
    }
}
