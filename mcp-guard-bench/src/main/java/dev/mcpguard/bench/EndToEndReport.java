package dev.mcpguard.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one {@link EndToEndBenchmark} run: per variant and client count the latency percentiles,
 * throughput and ratios to variant A, plus the machine facts the figures depend on. Formats itself as Markdown.
 * Immutable once built; thread-safe to read.
 *
 * @param rows     one per variant and client count, in the order measured (client count, then variant)
 * @param machine  the machine facts, as {@code name -> value} lines in print order; {@value #REQUEST_FACT} names
 *                 the JSON-RPC method measured
 * @param variants what each variant name means, in order
 * @param skipped  variants that did not run, with the reason
 */
public record EndToEndReport(List<Row> rows, Map<String, String> machine, Map<String, String> variants,
                             Map<String, String> skipped) {

    /** The machine fact naming the request every client repeated, for example {@code resources/read}. */
    static final String REQUEST_FACT = "request";

    public EndToEndReport {
        rows = List.copyOf(rows);
        machine = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(machine));
        variants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(variants));
        skipped = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    }

    /**
     * One variant at one client count, over all measured rounds.
     *
     * @param variant      e.g. {@code A}, {@code B-async}, {@code C}
     * @param clients      concurrent clients
     * @param calls        successful calls measured (the histogram's count)
     * @param errors       calls that threw or returned {@code isError}; not in the percentiles
     * @param elapsedNanos the measured wall time, summed over rounds
     * @param p50Nanos     median latency of one request
     * @param p99Nanos     99th percentile
     * @param roundP50Nanos the median of each round, in order, to see the spread
     */
    public record Row(String variant, int clients, long calls, long errors, long elapsedNanos, long p50Nanos,
                      long p99Nanos, List<Long> roundP50Nanos) {

        public Row {
            Objects.requireNonNull(variant, "variant");
            roundP50Nanos = List.copyOf(roundP50Nanos);
        }

        static Row of(String variant, int clients, Histogram total, long errors, long elapsedNanos,
                      List<Long> roundP50Nanos) {
            long count = total.getTotalCount();
            return new Row(variant, clients, count, errors, elapsedNanos,
                    count == 0 ? 0 : total.getValueAtPercentile(50), count == 0 ? 0 : total.getValueAtPercentile(99),
                    roundP50Nanos);
        }

        /** Successful calls per second of measured wall time. */
        public double throughput() {
            return elapsedNanos == 0 ? 0 : calls * 1e9 / elapsedNanos;
        }
    }

    /** The row of {@code variant} at {@code clients}, if it ran. */
    public Optional<Row> row(String variant, int clients) {
        return rows.stream().filter(r -> r.variant().equals(variant) && r.clients() == clients).findFirst();
    }

    /** Prints the facts, the variants, the table and the per-round medians as Markdown. */
    public void print(PrintStream out) {
        out.println("## End-to-end latency: one " + machine.getOrDefault(REQUEST_FACT, "tools/call")
                + " over Streamable HTTP on loopback");
        out.println();
        machine.forEach((name, value) -> out.println("- " + name + ": " + value));
        out.println();
        out.println("| Variant | What it is |");
        out.println("|---|---|");
        variants.forEach((name, what) -> out.println("| " + name + " | " + what + " |"));
        skipped.forEach((name, why) -> out.println("| " + name + " | SKIPPED: " + why + " |"));
        out.println();
        out.println("| Variant | Clients | Calls | p50 µs | p99 µs | Calls/s | p50 / A | p99 / A | Errors |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row row : rows) {
            Optional<Row> a = row("A", row.clients());
            out.println("| " + row.variant() + " | " + row.clients() + " | " + row.calls() + " | "
                    + micros(row.p50Nanos()) + " | " + micros(row.p99Nanos()) + " | "
                    + String.format(Locale.ROOT, "%,.0f", row.throughput()) + " | "
                    + ratio(row.p50Nanos(), a.map(Row::p50Nanos)) + " | " + ratio(row.p99Nanos(), a.map(Row::p99Nanos))
                    + " | " + row.errors() + " |");
        }
        out.println();
        out.println("p50 / A per round (the spread shows the noise):");
        out.println();
        out.println("| Variant | Clients | Rounds |");
        out.println("|---|---:|---|");
        for (Row row : rows) {
            Optional<Row> a = row("A", row.clients());
            List<String> ratios = new ArrayList<>();
            for (int i = 0; i < row.roundP50Nanos().size(); i++) {
                int round = i;
                ratios.add(ratio(row.roundP50Nanos().get(i), a.map(r -> r.roundP50Nanos().get(round))));
            }
            out.println("| " + row.variant() + " | " + row.clients() + " | " + String.join(", ", ratios) + " |");
        }
    }

    static String micros(long nanos) {
        double us = nanos / 1_000.0;
        return us >= 100 ? String.format(Locale.ROOT, "%,.0f", us) : String.format(Locale.ROOT, "%.1f", us);
    }

    private static String ratio(long value, Optional<Long> baseline) {
        return baseline.filter(b -> b > 0).map(b -> String.format(Locale.ROOT, "%.2f", (double) value / b))
                .orElse("-");
    }
}
