package dev.mcpguard.spring;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Refuses to start on a class path whose MCP Java SDK is not the one set mcp-guard was built with. Spring AI 2.0.x
 * brings SDK 2.0.0 ({@code mcp}, {@code mcp-core}, {@code mcp-json-jackson3}); the starter declares the same
 * artifacts at mcp-guard's version so Maven lifts them together, and this check catches what slips through (a
 * dependency management that pins 2.0.0, a copied jar): a mixed set fails late with {@code NoClassDefFoundError}
 * or, worse, runs with half the API. It reads the Maven descriptors the SDK jars carry
 * ({@code META-INF/maven/io.modelcontextprotocol.sdk/<artifact>/pom.properties}); a jar without one (shaded) is
 * not counted, and the tools/list filter class must load either way.
 *
 * <p>Stateless and thread-safe.
 */
public final class McpSdkVersionCheck {

    /** The SDK artifacts whose versions must agree. */
    static final List<String> ARTIFACTS = List.of("mcp", "mcp-core", "mcp-json-jackson2", "mcp-json-jackson3");

    private final String expected;
    private final Map<String, List<String>> found;

    private McpSdkVersionCheck(String expected, Map<String, List<String>> found) {
        this.expected = expected;
        this.found = found;
    }

    /** Reads the SDK versions visible to {@code loader}. */
    static McpSdkVersionCheck of(ClassLoader loader) {
        Map<String, List<String>> found = new TreeMap<>();
        for (String artifact : ARTIFACTS) {
            List<String> versions = new ArrayList<>();
            try {
                for (URL url : Collections.list(loader.getResources(
                        "META-INF/maven/io.modelcontextprotocol.sdk/" + artifact + "/pom.properties"))) {
                    versions.add(read(url).getProperty("version", "?"));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the MCP SDK's Maven descriptors", e);
            }
            if (!versions.isEmpty()) {
                found.put(artifact, List.copyOf(versions));
            }
        }
        return new McpSdkVersionCheck(expectedVersion(), Map.copyOf(found));
    }

    /** The SDK version mcp-guard was built with, e.g. {@code 2.1.0}. */
    static String expectedVersion() {
        URL url = McpSdkVersionCheck.class.getResource("mcp-sdk.properties");
        if (url == null) {
            throw new IllegalStateException("mcp-sdk.properties is missing from mcp-guard-spring-starter");
        }
        return read(url).getProperty("mcp-sdk.version");
    }

    /** Every SDK artifact found, with the version(s) of each. */
    Map<String, List<String>> found() {
        return found;
    }

    /**
     * Throws {@link IllegalStateException} naming each artifact whose version is not the expected one, and when
     * {@code io.modelcontextprotocol.server.McpSyncListFilter} (new in 2.1.0) does not load.
     */
    McpSdkVersionCheck verify(ClassLoader loader) {
        List<String> wrong = new ArrayList<>();
        found.forEach((artifact, versions) -> {
            if (versions.size() != 1 || !versions.get(0).equals(expected)) {
                wrong.add(artifact + " " + String.join(" and ", versions));
            }
        });
        boolean filterApi;
        try {
            Class.forName("io.modelcontextprotocol.server.McpSyncListFilter", false, loader);
            filterApi = true;
        } catch (ClassNotFoundException e) {
            filterApi = false;
        }
        if (!wrong.isEmpty() || !filterApi) {
            throw new IllegalStateException("mcp-guard needs the MCP Java SDK " + expected + " for every SDK artifact, "
                    + "found " + (wrong.isEmpty() ? "no tools/list filter API (an SDK before 2.1.0)" : wrong)
                    + ". Spring AI 2.0.x brings 2.0.0; do not pin io.modelcontextprotocol.sdk versions below "
                    + expected + " (mcp-guard-spring-starter declares mcp, mcp-core and mcp-json-jackson3 at "
                    + expected + "). See docs/spring.md, 'The SDK version'.");
        }
        return this;
    }

    private static Properties read(URL url) {
        Properties properties = new Properties();
        try (InputStream in = url.openStream()) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        }
        return properties;
    }

    @Override
    public String toString() {
        return "McpSdkVersionCheck[expected=" + expected + ", found=" + found + "]";
    }
}
