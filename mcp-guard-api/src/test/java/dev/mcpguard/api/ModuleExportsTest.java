package dev.mcpguard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The api jar is a named module whose every package is exported, so no vocabulary is hidden by accident. */
class ModuleExportsTest {

    @Test
    void theApiIsTheNamedModuleDevMcpguardApi() {
        assertThat(ToolCall.class.getModule().getName()).isEqualTo("dev.mcpguard.api");
    }

    @Test
    void everyPackageOfTheApiIsExportedToEveryone() {
        ModuleDescriptor descriptor = ToolCall.class.getModule().getDescriptor();
        Set<String> unqualifiedExports = descriptor.exports().stream()
                .filter(export -> !export.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));

        assertThat(unqualifiedExports)
                .as("add every new package of mcp-guard-api to its module-info.java")
                .containsExactlyInAnyOrderElementsOf(new TreeSet<>(descriptor.packages()));
    }

    @Test
    void theApiReadsOnlyTheJdk() {
        Set<String> required = ToolCall.class.getModule().getDescriptor().requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .collect(Collectors.toSet());

        assertThat(required).containsExactlyInAnyOrder("java.base", "java.net.http");
    }
}
