package dev.mcpguard.core.policy.opa;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles shipped as class loader resources, read through a real class loader over a temporary directory. */
class ClasspathBundleSourceTest {

    @TempDir
    Path classpathRoot;
    URLClassLoader loader;

    @BeforeEach
    void openLoader() throws Exception {
        Files.createDirectories(classpathRoot.resolve("policy"));
        loader = new URLClassLoader(new URL[] {classpathRoot.toUri().toURL()}, null);
    }

    @AfterEach
    void closeLoader() throws Exception {
        loader.close();
    }

    private void put(String name, byte[] content) throws Exception {
        Files.write(classpathRoot.resolve(name), content);
    }

    @Test
    void readsTheResourceOnceAndReportsItUnchangedUntilItsContentChanges() throws Exception {
        put("policy/bundle.tar.gz", "first".getBytes(UTF_8));
        BundleSource source = BundleSource.classpath("policy/bundle.tar.gz", loader);

        assertThat(source.fetchIfChanged()).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo("first".getBytes(UTF_8)));
        assertThat(source.fetchIfChanged()).isEmpty();

        put("policy/bundle.tar.gz", "second".getBytes(UTF_8));
        assertThat(source.fetchIfChanged()).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo("second".getBytes(UTF_8)));
    }

    @Test
    void acceptsTheResourceNameWithOrWithoutALeadingSlash() throws Exception {
        put("policy/bundle.tar.gz", "bytes".getBytes(UTF_8));

        assertThat(BundleSource.classpath("/policy/bundle.tar.gz", loader).fetchIfChanged()).isPresent();
        assertThat(BundleSource.classpath("policy/bundle.tar.gz", loader).describe())
                .isEqualTo("classpath:policy/bundle.tar.gz");
    }

    @Test
    void looksTheResourceUpWithTheCallersContextClassLoaderByDefault() throws Exception {
        put("policy/bundle.tar.gz", "bytes".getBytes(UTF_8));
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        BundleSource source;
        thread.setContextClassLoader(loader);
        try {
            source = BundleSource.classpath("policy/bundle.tar.gz");
        } finally {
            thread.setContextClassLoader(previous);
        }

        assertThat(source.fetchIfChanged()).isPresent();
    }

    @Test
    void missingResourceIsABundleExceptionNamingIt() {
        BundleSource source = BundleSource.classpath("policy/absent.tar.gz", loader);

        assertThatThrownBy(source::fetchIfChanged)
                .isInstanceOf(BundleException.class)
                .hasMessage("bundle resource classpath:policy/absent.tar.gz is not on the classpath");
    }

    @Test
    void resourceOverTheSizeLimitIsRefused() throws Exception {
        put("policy/bundle.tar.gz", new byte[101]);
        BundleSource source = new ClasspathBundleSource("policy/bundle.tar.gz", loader, 100);

        assertThatThrownBy(source::fetchIfChanged)
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("over the limit of 100 bytes");
    }

    @Test
    void blankOrMissingNamesAndBadLimitsAreRejectedShowingTheValue() {
        assertThatThrownBy(() -> BundleSource.classpath(" ", loader))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("' '");
        assertThatThrownBy(() -> BundleSource.classpath("/", loader))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/'");
        assertThatThrownBy(() -> BundleSource.classpath(null, loader)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ClasspathBundleSource("b.tar.gz", loader, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void engineServesASignedBundleFromTheClasspathAndRefusesAnUnsignedReplacement(@TempDir Path buildDir)
            throws Exception {
        TestBundles bundles = new TestBundles(buildDir);
        TestBundles.SigningKey key = bundles.rsaKey("classpath");
        put("policy/bundle.tar.gz", bundles.build("authz", "authz-cp", key));

        try (OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .bundleSource(BundleSource.classpath("policy/bundle.tar.gz", loader))
                .verification(BundleVerification.publicKey(key.publicPem()))
                .environment(Map.of("name", "test"))
                .poolSize(1)
                .build()) {
            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            assertThat(engine.currentRevision()).contains("authz-cp");

            put("policy/bundle.tar.gz", bundles.build("authz", "authz-unsigned"));

            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
            assertThat(engine.currentRevision()).contains("authz-cp");
            assertThat(engine.lastLoadError()).isPresent();
        }
    }
}
