package io.honua.db.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JPMS descriptor of the built module (its {@code target/classes} or jar): a real module-info, not an automatic
 * module, exporting exactly {@code io.honua.db.opentelemetry} and requiring only the OpenTelemetry API (never the
 * SDK, which stays the application's choice).
 */
class ModuleDescriptorTest {

    @Test
    void exportsOnlyTheTracingPackageAndRequiresOnlyTheApi() throws Exception {
        Path location = Path.of(HonuaTracing.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<ModuleReference> found = List.copyOf(ModuleFinder.of(location).findAll());
        assertThat(found).as("module at %s", location).hasSize(1);
        ModuleDescriptor d = found.get(0).descriptor();
        assertThat(d.isAutomatic()).as("%s has a module-info", location).isFalse();
        assertThat(d.name()).isEqualTo("io.honua.db.opentelemetry");
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("io.honua.db.opentelemetry");
        assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(d.opens()).isEmpty();
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name)
                .contains("io.honua.db.dao", "io.opentelemetry.api", "io.opentelemetry.context")
                .noneMatch(name -> name.startsWith("io.opentelemetry.sdk"));
    }
}
