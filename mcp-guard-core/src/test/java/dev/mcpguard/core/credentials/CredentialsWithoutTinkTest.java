package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tink is an optional dependency of mcp-guard-core (about 5.2 MB with protobuf and Gson): a server without
 * credentials runs without it, and enabling credentials without it fails at once with the artifact to add.
 * Each test loads mcp-guard in a class loader that sees this module's classpath minus the Tink jars.
 */
class CredentialsWithoutTinkTest {

    private static final Pattern TINK_JAR = Pattern.compile("[/\\\\]tink-(\\d[^/\\\\]*)\\.jar$");

    private URLClassLoader withoutTink;

    @BeforeEach
    void loadMcpGuardWithoutTink() throws MalformedURLException {
        List<URL> urls = new ArrayList<>();
        for (String entry : testClassPath()) {
            if (!TINK_JAR.matcher(entry).find() && !entry.contains("/com/google/crypto/tink/")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        withoutTink = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @AfterEach
    void close() throws Exception {
        withoutTink.close();
    }

    @Test
    void theHiddenClassLoaderReallyHasNoTink() {
        assertThatThrownBy(() -> Class.forName("com.google.crypto.tink.Aead", false, withoutTink))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void aGuardWithoutCredentialsBuildsWithoutTink() {
        assertThat(probe("guard")).isEqualTo("orders");
    }

    @Test
    void anInMemoryKeysetWithoutTinkNamesTheArtifactToAdd() {
        assertThat(probe("in-memory keyset"))
                .isInstanceOfSatisfying(IllegalStateException.class, e -> assertThat(e.getMessage())
                        .contains("com.google.crypto.tink:tink:" + tinkVersionOnThisClassPath())
                        .contains("optional dependency of mcp-guard-core"));
    }

    @Test
    void aKeysetFileWithoutTinkNamesTheArtifactToAdd() {
        assertThat(probe("keyset file"))
                .isInstanceOfSatisfying(IllegalStateException.class, e -> assertThat(e.getMessage())
                        .contains("com.google.crypto.tink:tink:"));
    }

    @Test
    void aLocalKeyEncryptionKeyWithoutTinkNamesTheArtifactToAdd() {
        assertThat(probe("local key"))
                .isInstanceOfSatisfying(IllegalStateException.class, e -> assertThat(e.getMessage())
                        .contains("com.google.crypto.tink:tink:"));
    }

    @SuppressWarnings("unchecked")
    private Object probe(String step) {
        try {
            Function<String, Object> probe = (Function<String, Object>) Class
                    .forName("dev.mcpguard.core.credentials.WithoutTinkProbe", true, withoutTink)
                    .getConstructor().newInstance();
            return probe.apply(step);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the probe does not load", e);
        }
    }

    private static String tinkVersionOnThisClassPath() {
        for (String entry : testClassPath()) {
            Matcher matcher = TINK_JAR.matcher(entry);
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        throw new AssertionError("no tink jar on the test classpath");
    }

    private static List<String> testClassPath() {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(path.split(File.pathSeparator));
    }
}
