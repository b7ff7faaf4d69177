package io.honua.db.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.micrometer.HonuaMeters;
import io.honua.db.schema.HonuaMigrations;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The JPMS descriptors of the built library modules (their {@code target/classes} or jar, whichever the test class path
 * holds): each exports exactly its API packages, nothing named {@code internal}, and the generated jOOQ packages only
 * to this project's own modules. honua-opentelemetry and honua-testkit check their own descriptor (their
 * {@code ModuleDescriptorTest}).
 */
class ModuleDescriptorsTest {

    private static ModuleDescriptor descriptorOf(Class<?> type) throws URISyntaxException {
        Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<ModuleReference> found = List.copyOf(ModuleFinder.of(location).findAll());
        assertThat(found).as("module at %s", location).hasSize(1);
        ModuleDescriptor d = found.get(0).descriptor();
        assertThat(d.isAutomatic()).as("%s has a module-info", location).isFalse();
        return d;
    }

    /** Unqualified exports. */
    private static Set<String> exported(ModuleDescriptor d) {
        return d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Qualified exports: package -> the modules it is exported to. */
    private static Map<String, Set<String>> exportedTo(ModuleDescriptor d) {
        return d.exports().stream().filter(ModuleDescriptor.Exports::isQualified)
                .collect(Collectors.toMap(ModuleDescriptor.Exports::source, e -> new TreeSet<>(e.targets()),
                        (a, b) -> a, TreeMap::new));
    }

    @Test
    void daoExportsExactlyTheCapabilityPackagesAndHidesInternals() throws Exception {
        ModuleDescriptor d = descriptorOf(HonuaDb.class);
        assertThat(d.name()).isEqualTo("io.honua.db.dao");
        assertThat(exported(d)).containsExactlyInAnyOrder(
                "io.honua.db",
                "io.honua.db.analytics",
                "io.honua.db.apikeys",
                "io.honua.db.audit",
                "io.honua.db.cache",
                "io.honua.db.core",
                "io.honua.db.credentials",
                "io.honua.db.crypto",
                "io.honua.db.intake",
                "io.honua.db.licensing",
                "io.honua.db.maintenance",
                "io.honua.db.metrics",
                "io.honua.db.observability",
                "io.honua.db.operations",
                "io.honua.db.partitions",
                "io.honua.db.queue",
                "io.honua.db.tenancy",
                "io.honua.db.types");
        assertThat(exportedTo(d)).isEmpty();
        assertThat(d.packages()).contains("io.honua.db.internal");
        assertThat(d.opens()).isEmpty();
    }

    @Test
    void schemaExportsItsApiAndTheGeneratedCodeOnlyToOurModules() throws Exception {
        ModuleDescriptor d = descriptorOf(HonuaMigrations.class);
        assertThat(d.name()).isEqualTo("io.honua.db.schema");
        assertThat(exported(d)).containsExactly("io.honua.db.schema");
        Map<String, Set<String>> to = exportedTo(d);
        assertThat(to.keySet()).allMatch(p -> p.startsWith("io.honua.db.schema.generated"));
        assertThat(to.values()).allMatch(targets -> Set.of("io.honua.db.dao", "io.honua.db.micrometer").containsAll(targets));
        assertThat(d.packages()).contains("io.honua.db.schema.generated.tables.records");
        // jOOQ, and nothing else, may reflect into the generated code
        assertThat(d.opens()).allMatch(o -> o.targets().equals(Set.of("org.jooq")));
    }

    @Test
    void micrometerAndStarterExportOnePackageEach() throws Exception {
        ModuleDescriptor meters = descriptorOf(HonuaMeters.class);
        assertThat(meters.name()).isEqualTo("io.honua.db.micrometer");
        assertThat(exported(meters)).containsExactly("io.honua.db.micrometer");
        assertThat(exportedTo(meters)).isEmpty();

        ModuleDescriptor starter = descriptorOf(HonuaAutoConfiguration.class);
        assertThat(starter.name()).isEqualTo("io.honua.db.spring");
        assertThat(exported(starter)).containsExactly("io.honua.db.spring");
        assertThat(exportedTo(starter)).isEmpty();
        // Spring instantiates, proxies and binds the configuration classes reflectively
        assertThat(starter.opens()).extracting(ModuleDescriptor.Opens::source).containsExactly("io.honua.db.spring");
        // the actuator and Micrometer stay optional
        assertThat(starter.requires()).filteredOn(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                .extracting(ModuleDescriptor.Requires::name)
                .contains("spring.boot.health", "io.honua.db.micrometer", "micrometer.core");
    }

    @Test
    void noModuleExportsAnInternalPackage() throws Exception {
        for (Class<?> api : List.of(HonuaDb.class, HonuaMigrations.class, HonuaMeters.class, HonuaAutoConfiguration.class)) {
            ModuleDescriptor d = descriptorOf(api);
            assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source)
                    .as(d.name()).noneMatch(p -> p.contains(".internal"));
        }
    }
}
