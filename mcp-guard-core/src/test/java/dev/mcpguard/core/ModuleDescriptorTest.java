package dev.mcpguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The core jar is the named module {@code dev.mcpguard.core}: it exports every package but {@code internal}, and
 * its module graph resolves on the module path from the jars Maven gives us. Tests run on the class path, so this
 * test reads the compiled descriptor and resolves it explicitly.
 */
class ModuleDescriptorTest {

    private static final String INTERNAL = "dev.mcpguard.core.internal";

    @Test
    void everyPackageButInternalIsExportedToEveryone() {
        ModuleDescriptor descriptor = compiledDescriptor();

        Set<String> unqualifiedExports = descriptor.exports().stream()
                .filter(export -> !export.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(descriptor.packages());
        expected.remove(INTERNAL);

        assertThat(descriptor.name()).isEqualTo("dev.mcpguard.core");
        assertThat(unqualifiedExports)
                .as("add every new package of mcp-guard-core to its module-info.java, except internal")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(descriptor.packages()).contains(INTERNAL);
        assertThat(descriptor.opens())
                .as("only Jackson may reflect, and only on the decision cache's key record")
                .allSatisfy(opens -> assertThat(opens.targets()).containsExactly("com.fasterxml.jackson.databind"))
                .extracting(ModuleDescriptor.Opens::source).containsExactly("dev.mcpguard.core.policy");
    }

    @Test
    void theModuleResolvesOnTheModulePathWithoutOptionalDependencies() {
        List<Path> jars = new ArrayList<>();
        jars.add(classesDirectory());
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (isCompileDependency(path) && describesAModule(path)) {
                jars.add(path);
            }
        }
        ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));

        Configuration graph = Configuration.empty()
                .resolve(ModuleFinder.compose(ModuleFinder.ofSystem(), finder), ModuleFinder.of(), Set.of("dev.mcpguard.core"));

        Set<String> resolved = graph.modules().stream().map(module -> module.name()).collect(Collectors.toSet());
        assertThat(resolved).contains("dev.mcpguard.core", "dev.mcpguard.api", "io.modelcontextprotocol.sdk.mcp.core",
                "opa.java.wasm", "com.nimbusds.jose.jwt", "re2j");
    }

    /** The descriptor as the module path sees it: its packages scanned from the compiled classes. */
    private static ModuleDescriptor compiledDescriptor() {
        return ModuleFinder.of(classesDirectory()).find("dev.mcpguard.core").orElseThrow().descriptor();
    }

    private static Path classesDirectory() {
        return Path.of("target", "classes").toAbsolutePath();
    }

    /** Jars of the main code's own dependencies: test-only libraries would bring split packages of their own. */
    private static boolean isCompileDependency(Path path) {
        String name = path.toString().replace(File.separatorChar, '/');
        if (name.endsWith("/target/classes") || name.contains("/mcp-guard-api/")) {
            return name.contains("/mcp-guard-api/");
        }
        return COMPILE_ARTIFACTS.stream().anyMatch(name::contains);
    }

    private static boolean describesAModule(Path path) {
        try {
            return ModuleFinder.of(path).findAll().stream().map(ModuleReference::descriptor).findAny().isPresent();
        } catch (FindException e) {
            return false;
        }
    }

    /** Path fragments of the compile-scope dependencies (and theirs) that the descriptor requires. */
    private static final List<String> COMPILE_ARTIFACTS = List.of(
            "/io/modelcontextprotocol/", "/com/ibm/icu/", "/com/googlecode/libphonenumber/", "/io/projectreactor/", "/org/reactivestreams/", "/com/fasterxml/jackson/",
            "/com/github/ben-manes/", "/com/nimbusds/", "/org/slf4j/slf4j-api/", "/com/styra/", "/com/dylibso/",
            "/org/apache/commons/commons-compress/", "/commons-io/", "/commons-codec/", "/org/apache/commons/commons-lang3/",
            "/com/bucket4j/", "/org/jspecify/", "/com/networknt/", "/com/ethlo/", "/net/minidev/", "/com/jcip/",
            "/com/google/errorprone/", "/org/yaml/", "/com/google/crypto/", "/com/google/re2j/");
}
