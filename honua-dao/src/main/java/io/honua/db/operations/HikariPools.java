package io.honua.db.operations;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads HikariCP's pool counters. HikariCP is an optional dependency: this class is only loaded after
 * {@link #AVAILABLE} said HikariCP is on the class path.
 */
final class HikariPools {

    static final boolean AVAILABLE = present();

    private HikariPools() {
    }

    private static boolean present() {
        try {
            Class.forName("com.zaxxer.hikari.HikariDataSource", false, HikariPools.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The pool's state when {@code dataSource} is (or wraps) a started HikariDataSource. */
    static Optional<PoolState> state(DataSource dataSource) {
        if (!AVAILABLE) {
            return Optional.empty();
        }
        return Reader.state(dataSource);
    }

    /** Separate class so that the HikariCP types are resolved only when HikariCP is present. */
    private static final class Reader {

        static Optional<PoolState> state(DataSource dataSource) {
            HikariDataSource hikari;
            if (dataSource instanceof HikariDataSource h) {
                hikari = h;
            } else {
                try {
                    if (!dataSource.isWrapperFor(HikariDataSource.class)) {
                        return Optional.empty();
                    }
                    hikari = dataSource.unwrap(HikariDataSource.class);
                } catch (SQLException | RuntimeException e) {
                    return Optional.empty();
                }
            }
            HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
            if (bean == null) {   // not started yet (lazy pool): nothing to read
                return Optional.empty();
            }
            return Optional.of(new PoolState(bean.getActiveConnections(), bean.getIdleConnections(),
                    bean.getThreadsAwaitingConnection(), bean.getTotalConnections(), hikari.getMaximumPoolSize()));
        }
    }
}
