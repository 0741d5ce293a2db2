package dev.mcpguard.core.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.json.McpJsonDefaults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What a project that depends on mcp-guard-core gets, read from the pom it is published with: the JSON binding
 * the SDK needs to start, and the heavy parts a user enables explicitly only when asked for (optional). The
 * figures behind these choices are in mcp-guard-core/README.md.
 */
class PublishedDependenciesTest {

    private record Declared(String scope, boolean optional) {
    }

    private static final Map<String, Declared> DECLARED = new HashMap<>();

    @BeforeAll
    static void readThePublishedPom() throws Exception {
        Path pom = Path.of("pom.xml");
        assertThat(Files.readString(pom)).contains("<artifactId>mcp-guard-core</artifactId>");
        var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Element project = factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
        Element dependencies = (Element) project.getElementsByTagName("dependencies").item(0);
        NodeList each = dependencies.getElementsByTagName("dependency");
        for (int i = 0; i < each.getLength(); i++) {
            Element dependency = (Element) each.item(i);
            DECLARED.put(text(dependency, "groupId") + ":" + text(dependency, "artifactId"),
                    new Declared(text(dependency, "scope").isEmpty() ? "compile" : text(dependency, "scope"),
                            "true".equals(text(dependency, "optional"))));
        }
    }

    @Test
    void aServerGetsTheSdksJsonBindingWithCore() {
        assertThat(DECLARED.get("io.modelcontextprotocol.sdk:mcp-json-jackson2"))
                .as("without a binding the SDK fails with \"No McpJsonMapperSupplier available\"")
                .isEqualTo(new Declared("compile", false));
        assertThat(McpJsonDefaults.getMapper()).isNotNull();
    }

    @Test
    void partsAUserEnablesExplicitlyAreOptional() {
        for (String optional : new String[] {"com.google.crypto.tink:tink", "com.google.crypto.tink:tink-awskms",
                "com.google.crypto.tink:tink-gcpkms", "io.lettuce:lettuce-core", "com.bucket4j:bucket4j_jdk17-lettuce",
                "org.postgresql:postgresql"}) {
            assertThat(DECLARED.get(optional)).as(optional).isEqualTo(new Declared("compile", true));
        }
    }

    @Test
    void theEmbeddedPolicyEngineStaysMandatory() {
        assertThat(DECLARED.get("com.styra.opa:opa-java-wasm")).isEqualTo(new Declared("compile", false));
        assertThat(DECLARED.get("org.apache.commons:commons-compress")).isEqualTo(new Declared("compile", false));
    }

    private static String text(Element parent, String tag) {
        NodeList found = parent.getElementsByTagName(tag);
        return found.getLength() == 0 ? "" : found.item(0).getTextContent().trim();
    }
}
