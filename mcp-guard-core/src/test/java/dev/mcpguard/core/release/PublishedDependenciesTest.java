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
 * figures behind these choices are in mcp-guard-core/README.md. And the BOM lists exactly what is published.
 */
class PublishedDependenciesTest {

    private record Declared(String scope, boolean optional) {
    }

    private static final Map<String, Declared> DECLARED = new HashMap<>();

    @BeforeAll
    static void readThePublishedPom() throws Exception {
        Path pom = Path.of("pom.xml");
        assertThat(Files.readString(pom)).contains("<artifactId>mcp-guard-core</artifactId>");
        Element project = parse(pom);
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
        assertThat(DECLARED.get("com.google.re2j:re2j")).as("the engine's regex.* builtins")
                .isEqualTo(new Declared("compile", false));
    }

    @Test
    void theBomListsEveryPublishedJarModuleAtTheParentsVersion() throws Exception {
        Element parent = parse(Path.of("..", "pom.xml"));
        Element bom = parse(Path.of("..", "mcp-guard-bom", "pom.xml"));
        assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));

        java.util.Set<String> published = new java.util.TreeSet<>();
        NodeList modules = parent.getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            Path modulePom = Path.of("..", modules.item(i).getTextContent().trim(), "pom.xml");
            String xml = Files.readString(modulePom);
            Element module = parse(modulePom);
            boolean jar = !xml.contains("<packaging>pom</packaging>");
            if (jar && !xml.contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
                published.add(text(module, "artifactId"));
            }
        }
        java.util.Set<String> listed = new java.util.TreeSet<>();
        NodeList artifacts = ((Element) bom.getElementsByTagName("dependencyManagement").item(0))
                .getElementsByTagName("artifactId");
        for (int i = 0; i < artifacts.getLength(); i++) {
            listed.add(artifacts.item(i).getTextContent().trim());
        }

        assertThat(published).containsExactly("mcp-guard-api", "mcp-guard-core", "mcp-guard-spring-starter");
        assertThat(listed).isEqualTo(published);
    }

    private static Element parse(Path pom) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
    }

    /** The text of the first {@code tag} that is a direct child of {@code parent}, or of any descendant. */
    private static String text(Element parent, String tag) {
        for (var child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && element.getTagName().equals(tag)) {
                return element.getTextContent().trim();
            }
        }
        return descendantText(parent, tag);
    }

    private static String descendantText(Element parent, String tag) {
        NodeList found = parent.getElementsByTagName(tag);
        return found.getLength() == 0 ? "" : found.item(0).getTextContent().trim();
    }
}
