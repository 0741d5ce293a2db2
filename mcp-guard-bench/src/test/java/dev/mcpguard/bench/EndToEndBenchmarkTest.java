package dev.mcpguard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end harness runs every variant with tiny settings and produces a complete table. No timing is
 * asserted: figures come from real runs of {@code scripts/bench-end-to-end.sh}, not from CI.
 */
class EndToEndBenchmarkTest {

    @TempDir
    Path workDir;

    @Test
    void runsEveryVariantInterleavedAndPrintsTheTable() {
        EndToEndSettings settings = EndToEndSettings.parse("--rounds", "2", "--time", "150ms",
                "--warmup-rounds", "1", "--warmup-time", "100ms", "--clients", "1,2",
                "--work-dir", workDir.toString());
        ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
        EndToEndReport report = EndToEndBenchmark.run(settings,
                new PrintStream(progressBytes, true, StandardCharsets.UTF_8));

        List<String> expected = report.skipped().containsKey("C")
                ? List.of("A", "B-async", "B-durable") : List.of("A", "B-async", "B-durable", "C");
        for (int clients : List.of(1, 2)) {
            for (String variant : expected) {
                EndToEndReport.Row row = report.row(variant, clients).orElseThrow(
                        () -> new AssertionError(variant + " with " + clients + " clients did not run"));
                assertThat(row.calls()).as("%s@%d calls", variant, clients).isPositive();
                assertThat(row.errors()).as("%s@%d errors; progress: %s", variant, clients, progressBytes)
                        .isZero();
                assertThat(row.roundP50Nanos()).hasSize(2);
                assertThat(row.p99Nanos()).isGreaterThanOrEqualTo(row.p50Nanos());
            }
        }
        assertThat(report.rows()).hasSize(expected.size() * 2);
        if (report.skipped().containsKey("C")) {
            // Skipping is for machines without nginx, not for an nginx that failed to start.
            assertThat(progressBytes.toString(StandardCharsets.UTF_8)).contains("Variant C skipped: no nginx");
            assertThat(LoopbackNginx.locate(new StringBuilder())).isEmpty();
        }

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        report.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
        String table = printed.toString(StandardCharsets.UTF_8);
        assertThat(table)
                .contains("| Variant | Clients | Calls | p50 µs | p99 µs | Calls/s | p50 / A | p99 / A | Errors |")
                .contains("| A | 1 |").contains("| B-durable | 2 |")
                .contains("- cores: ").contains("- JDK: ").contains("- load average (1, 5, 15 min): start ");
        // The harness's own files go with the run.
        assertThat(workDir.toFile().list()).isEmpty();
    }

    @Test
    void rejectsSettingsItCannotUseNamingTheValue() {
        assertThatThrownBy(() -> EndToEndSettings.parse("--time", "soon"))
                .hasMessageContaining("--time").hasMessageContaining("'soon'");
        assertThatThrownBy(() -> EndToEndSettings.parse("--variants", "A,D"))
                .hasMessageContaining("'D'");
        assertThatThrownBy(() -> EndToEndSettings.parse("--clients", "0"))
                .hasMessageContaining("got 0");
        assertThat(EndToEndSettings.parse("--time", "750ms").roundTime()).isEqualTo(Duration.ofMillis(750));
        assertThat(EndToEndSettings.ofDefaults().clients()).containsExactly(1, 8);
        assertThat(EndToEndSettings.ofDefaults().guardrails()).containsExactly(true);
        assertThat(EndToEndSettings.parse("--guardrails", "on,off").guardrails()).containsExactly(true, false);
        assertThatThrownBy(() -> EndToEndSettings.parse("--guardrails", "maybe")).hasMessageContaining("'maybe'");
    }
}
