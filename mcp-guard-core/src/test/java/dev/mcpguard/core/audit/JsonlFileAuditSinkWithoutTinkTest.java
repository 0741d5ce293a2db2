package dev.mcpguard.core.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tink is an optional dependency: a {@link JsonlFileAuditSink} without a signer, and the verifier without a key,
 * must load and work on a class path without it. Runs them in a class loader over this test's class path minus
 * the Tink jars.
 */
class JsonlFileAuditSinkWithoutTinkTest {

    @TempDir
    Path dir;

    @Test
    void theSinkWritesAndTheVerifierChecksAChainWithoutTinkOnTheClassPath() throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.isEmpty() && !Path.of(entry).getFileName().toString().startsWith("tink")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        assertThat(urls).hasSizeLessThan(classPath.split(File.pathSeparator).length);
        try (URLClassLoader withoutTink = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> Class.forName("com.google.crypto.tink.KeysetHandle", false, withoutTink))
                    .isInstanceOf(ClassNotFoundException.class);
            @SuppressWarnings("unchecked")
            Function<Path, String> probe = (Function<Path, String>) Class.forName(Probe.class.getName(), true,
                    withoutTink).getDeclaredConstructor().newInstance();

            assertThat(probe.apply(dir.resolve("audit.jsonl"))).isEqualTo("INCOMPLETE 1");
        }
        assertThat(Files.readAllLines(dir.resolve("audit.jsonl"))).hasSize(3);
    }

    /** Runs inside the class loader without Tink: writes one record, closes, verifies without a key. */
    public static final class Probe implements Function<Path, String> {
        @Override
        public String apply(Path file) {
            try {
                try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
                    sink.write(AuditFixtures.record("evt-1"));
                }
                var report = dev.mcpguard.core.audit.chain.AuditChainVerifier.withoutKey().verify(List.of(file));
                return report.verdict() + " " + report.records();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
