package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Finding;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Precision, recall and false-positive rate of the sensitive-data guardrail (default configuration) per kind,
 * over {@code pii.jsonl}, {@code secrets.jsonl} and the benign corpus {@code benign.jsonl}: an item counts as a
 * true positive for a kind when the guardrail reports the kind anywhere in it and the item's labels list it.
 * The table goes to the test log and to {@code target/guardrails-accuracy/sensitive_data.md}; each figure must be
 * no worse than its threshold in {@code accuracy-thresholds.properties} (keys
 * {@code sensitive_data.<kind>.precision.min}, {@code .recall.min}, {@code .fpr.max}), which were set from the
 * first measurement. A kind without thresholds fails the test, so a new rule cannot ship unmeasured.
 */
class SensitiveDataAccuracyTest {

    private static final List<String> CORPORA = List.of("pii.jsonl", "secrets.jsonl", "benign.jsonl");
    /** The benign corpus names birth numbers {@code pii.birth_number}; it is the same kind. */
    private static final Map<String, String> LABEL_ALIASES = Map.of("pii.birth_number", "pii.cz_sk_birth_number");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T09:00:00Z"), ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    record Item(String corpus, String id, Object value, Set<String> labels) {
    }

    /** Counts for one kind. */
    static final class Counts {
        int tp;
        int fp;
        int fn;
        int tn;
        int benignFp;
        final List<String> misses = new ArrayList<>();

        double precision() {
            return tp + fp == 0 ? 1.0 : (double) tp / (tp + fp);
        }

        double recall() {
            return tp + fn == 0 ? 1.0 : (double) tp / (tp + fn);
        }

        double fpr() {
            return fp + tn == 0 ? 0.0 : (double) fp / (fp + tn);
        }
    }

    @Test
    void everyKindIsAtLeastAsAccurateAsItsThreshold() throws IOException {
        SensitiveDataRedactor redactor = SensitiveDataRedactor.of(SensitiveDataConfig.ofDefaults(), CLOCK);
        Set<String> kinds = SensitiveDataConfig.knownKinds();
        Map<String, Counts> counts = new TreeMap<>();
        kinds.forEach(kind -> counts.put(kind, new Counts()));
        int items = 0;
        for (String corpus : CORPORA) {
            for (Item item : load(corpus)) {
                items++;
                SensitiveDataRedactor.Scan scan = redactor.scan(item.value(), "$", ContentWalker.Limits.DEFAULTS);
                assertThat(scan.complete()).as(item.id()).isTrue();
                Set<String> found = new HashSet<>();
                scan.findings().stream().map(Finding::kind).forEach(found::add);
                for (String kind : kinds) {
                    Counts c = counts.get(kind);
                    boolean labelled = item.labels().contains(kind);
                    boolean reported = found.contains(kind);
                    if (labelled && reported) {
                        c.tp++;
                    } else if (reported) {
                        c.fp++;
                        c.misses.add("FP " + item.id());
                        if (corpus.equals("benign.jsonl")) {
                            c.benignFp++;
                        }
                    } else if (labelled) {
                        c.fn++;
                        c.misses.add("FN " + item.id());
                    } else {
                        c.tn++;
                    }
                }
            }
        }
        String table = table(counts, items);
        System.out.println(table);
        counts.forEach((kind, c) -> {
            if (!c.misses.isEmpty()) {
                System.out.println(kind + ": " + c.misses.subList(0, Math.min(15, c.misses.size())));
            }
        });
        Path out = Path.of("target/guardrails-accuracy/sensitive_data.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table, StandardCharsets.UTF_8);

        Properties thresholds = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/guardrails/accuracy-thresholds.properties")) {
            assertThat(in).as("accuracy-thresholds.properties").isNotNull();
            thresholds.load(in);
        }
        List<String> failures = new ArrayList<>();
        counts.forEach((kind, c) -> {
            String key = "sensitive_data." + kind;
            String precision = thresholds.getProperty(key + ".precision.min");
            String recall = thresholds.getProperty(key + ".recall.min");
            String fpr = thresholds.getProperty(key + ".fpr.max");
            if (precision == null || recall == null || fpr == null) {
                failures.add(kind + ": no thresholds (" + key + ".precision.min, .recall.min, .fpr.max)");
                return;
            }
            if (c.precision() < Double.parseDouble(precision)) {
                failures.add(kind + ": precision " + pct(c.precision()) + " < " + precision);
            }
            if (c.recall() < Double.parseDouble(recall)) {
                failures.add(kind + ": recall " + pct(c.recall()) + " < " + recall);
            }
            if (c.fpr() > Double.parseDouble(fpr)) {
                failures.add(kind + ": false-positive rate " + pct(c.fpr()) + " > " + fpr);
            }
        });
        assertThat(failures).as("accuracy below the committed thresholds").isEmpty();
    }

    static String table(Map<String, Counts> counts, int items) {
        StringBuilder t = new StringBuilder();
        t.append("Sensitive data, default configuration (phone region ")
                .append(SensitiveDataConfig.DEFAULT_PHONE_REGION).append("), ").append(items)
                .append(" items (pii.jsonl, secrets.jsonl, benign.jsonl)\n\n");
        t.append("| kind | positives | TP | FP | FN | precision | recall | FPR | FP in benign |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        counts.forEach((kind, c) -> t.append(String.format(Locale.ROOT, "| `%s` | %d | %d | %d | %d | %s | %s | %s | %d |%n",
                kind, c.tp + c.fn, c.tp, c.fp, c.fn, pct(c.precision()), pct(c.recall()), pct(c.fpr()), c.benignFp)));
        return t.toString();
    }

    private static String pct(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    static List<Item> load(String corpus) throws IOException {
        List<Item> items = new ArrayList<>();
        try (InputStream in = SensitiveDataAccuracyTest.class.getResourceAsStream("/guardrails/corpus/" + corpus)) {
            assertThat(in).as(corpus).isNotNull();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                Map<?, ?> item = JSON.readValue(line, LinkedHashMap.class);
                Object value = item.containsKey("json") ? item.get("json") : item.get("text");
                Set<String> labels = new TreeSet<>();
                for (Object label : (List<?>) item.get("labels")) {
                    labels.add(LABEL_ALIASES.getOrDefault((String) label, (String) label));
                }
                items.add(new Item(corpus, (String) item.get("id"), value, labels));
            }
        }
        return items;
    }
}
