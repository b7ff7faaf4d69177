package io.honua.db.operations;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testing.HonuaFixture;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every foreign key of the schema has a supporting index: an index on the referencing table whose leading columns are
 * exactly the key's columns (in any order), complete or partial on {@code <column> IS NOT NULL} only (which serves the
 * equality look-ups of the key checks). Without one, deleting or updating a referenced row
 * scans the whole referencing table under lock.
 */
class ForeignKeyIndexTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled();

    static final String FOREIGN_KEYS_WITHOUT_INDEX = """
            SELECT c.conrelid::regclass || '.' || c.conname || ' (' ||
                   (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                      FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) || ')'
              FROM pg_constraint c
              JOIN pg_class t ON t.oid = c.conrelid
             WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace
               AND c.conparentid = 0
               AND NOT EXISTS (SELECT 1 FROM pg_index i
                                WHERE i.indrelid = c.conrelid
                                  AND (i.indpred IS NULL
                                       OR (cardinality(c.conkey) = 1 AND pg_get_expr(i.indpred, i.indrelid) = '(' ||
                                           (SELECT quote_ident(a.attname) FROM pg_attribute a
                                             WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) || ' IS NOT NULL)'))
                                  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                                  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
             ORDER BY 1
            """;

    @Test
    void everyForeignKeyHasAnIndex() {
        DSLContext dsl = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        assertThat(dsl.resultQuery("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")
                .fetchOne(0, Integer.class)).isGreaterThan(10);
        List<String> missing = dsl.resultQuery(FOREIGN_KEYS_WITHOUT_INDEX).fetch(0, String.class);
        assertThat(missing).as("foreign keys without a supporting index").isEmpty();
    }

    @Test
    void theCheckFindsAForeignKeyWithoutIndex() {
        DSLContext dsl = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        dsl.execute("CREATE TABLE fk_probe (id int PRIMARY KEY, customer_id text REFERENCES customers (customer_id))");
        try {
            assertThat(dsl.resultQuery(FOREIGN_KEYS_WITHOUT_INDEX).fetch(0, String.class))
                    .containsExactly("fk_probe.fk_probe_customer_id_fkey (customer_id)");
            dsl.execute("CREATE INDEX fk_probe_partial ON fk_probe (customer_id) WHERE id > 0");
            assertThat(dsl.resultQuery(FOREIGN_KEYS_WITHOUT_INDEX).fetch(0, String.class)).hasSize(1);
            dsl.execute("CREATE INDEX fk_probe_customer ON fk_probe (customer_id, id)");
            assertThat(dsl.resultQuery(FOREIGN_KEYS_WITHOUT_INDEX).fetch(0, String.class)).isEmpty();
        } finally {
            dsl.execute("DROP TABLE fk_probe");
        }
    }
}
