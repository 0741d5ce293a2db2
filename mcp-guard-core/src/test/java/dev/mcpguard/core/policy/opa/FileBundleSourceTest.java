package dev.mcpguard.core.policy.opa;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles read from a file in a temporary directory. */
class FileBundleSourceTest {

    @TempDir
    Path dir;

    @Test
    void readsTheFileOnceAndReportsItUnchangedUntilItsContentChanges() throws Exception {
        Path file = Files.write(dir.resolve("bundle.tar.gz"), "first".getBytes(UTF_8));
        BundleSource source = BundleSource.file(file);

        assertThat(source.fetchIfChanged()).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo("first".getBytes(UTF_8)));
        assertThat(source.fetchIfChanged()).isEmpty();

        Files.write(file, "second".getBytes(UTF_8));
        assertThat(source.fetchIfChanged()).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo("second".getBytes(UTF_8)));
        assertThat(source.fetchIfChanged()).isEmpty();
    }

    @Test
    void missingFileIsABundleExceptionNamingIt() {
        Path absent = dir.resolve("absent.tar.gz");
        BundleSource source = BundleSource.file(absent);

        assertThatThrownBy(source::fetchIfChanged)
                .isInstanceOf(BundleException.class)
                .hasMessage("bundle file " + absent.toAbsolutePath() + " does not exist");
        assertThat(source.describe()).isEqualTo(absent.toAbsolutePath().toString());
    }

    @Test
    void fileOverTheSizeLimitIsRefusedAndOneAtTheLimitIsRead() throws Exception {
        Path file = Files.write(dir.resolve("bundle.tar.gz"), new byte[101]);

        assertThatThrownBy(BundleSource.file(file, 100)::fetchIfChanged)
                .isInstanceOf(BundleException.class)
                .hasMessage("bundle file " + file.toAbsolutePath() + " is over the limit of 100 bytes");
        assertThat(BundleSource.file(file, 101).fetchIfChanged()).hasValueSatisfying(bytes -> assertThat(bytes).hasSize(101));
    }

    @Test
    void directoryIsABundleExceptionNamingTheCauseType() {
        assertThatThrownBy(BundleSource.file(dir)::fetchIfChanged)
                .isInstanceOf(BundleException.class)
                .hasMessageStartingWith("bundle file " + dir.toAbsolutePath() + " cannot be read: ")
                .hasCauseInstanceOf(java.io.IOException.class);
    }

    @Test
    void badLimitsAreRejectedShowingTheValue() {
        assertThatThrownBy(() -> BundleSource.file(dir.resolve("b.tar.gz"), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxBytes must be positive, got 0");
        assertThatThrownBy(() -> BundleSource.file(null)).isInstanceOf(NullPointerException.class);
    }
}
