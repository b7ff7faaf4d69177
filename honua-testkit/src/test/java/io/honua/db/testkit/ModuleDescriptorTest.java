package io.honua.db.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JPMS descriptor of the built module (its {@code target/classes} or jar): a real module-info, not an automatic
 * module, exporting exactly {@code io.honua.db.testkit} and requiring only the core Testcontainers jar (its PostgreSQL
 * and JDBC modules split {@code org.testcontainers.containers} over several jars, which the module system rejects).
 */
class ModuleDescriptorTest {

    @Test
    void exportsOnlyTheTestKitPackageAndRequiresOnlyCoreTestcontainers() throws Exception {
        Path location = Path.of(PostgresProvisioning.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<ModuleReference> found = List.copyOf(ModuleFinder.of(location).findAll());
        assertThat(found).as("module at %s", location).hasSize(1);
        ModuleDescriptor d = found.get(0).descriptor();
        assertThat(d.isAutomatic()).as("%s has a module-info", location).isFalse();
        assertThat(d.name()).isEqualTo("io.honua.db.testkit");
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("io.honua.db.testkit");
        assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(d.opens()).isEmpty();
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name)
                .contains("java.sql", "org.junit.jupiter.api", "org.postgresql.jdbc", "testcontainers")
                .noneMatch(name -> name.startsWith("testcontainers."));
    }
}
