package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.Finding;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Precision, recall and false-positive rate of the tool-poisoning scan ({@link ToolPoisoningDetector#scanDefinition},
 * what the gate runs at registration) over {@code tool-definitions.jsonl} (the MCP reference servers' descriptions
 * and project-written benign and poisoned definitions), plus the benign corpus {@code benign.jsonl} as further
 * negatives (tool arguments and results, which a definition scan should not flag either): an item is a true
 * positive when the scan reports anything and the item is labelled {@code tool.poisoning}. The table goes to the
 * test log and to {@code target/guardrails-accuracy/tool_poisoning.md}, with recall per attack class (the id's
 * middle part) for the reader; the overall figures must be no worse than {@code tool_poisoning.*} in
 * {@code accuracy-thresholds.properties}, set from the first measurement.
 */
class ToolPoisoningAccuracyTest {

    static final String KIND = ToolPoisoningDetector.KIND;

    @Test
    void thePoisoningScanIsAtLeastAsAccurateAsItsThreshold() throws IOException {
        SensitiveDataAccuracyTest.Counts counts = new SensitiveDataAccuracyTest.Counts();
        Map<String, int[]> byClass = new TreeMap<>();
        Map<String, Integer> falsePositivesByRule = new TreeMap<>();
        int items = 0;
        for (String corpus : List.of("tool-definitions.jsonl", "benign.jsonl")) {
            for (SensitiveDataAccuracyTest.Item item : SensitiveDataAccuracyTest.load(corpus)) {
                items++;
                List<Finding> findings = scan(item.value());
                boolean labelled = item.labels().contains(KIND);
                boolean reported = !findings.isEmpty();
                if (labelled) {
                    int[] c = byClass.computeIfAbsent(attackClass(item.id()), k -> new int[2]);
                    c[0]++;
                    c[1] += reported ? 1 : 0;
                }
                if (labelled && reported) {
                    counts.tp++;
                } else if (reported) {
                    counts.fp++;
                    counts.misses.add("FP " + item.id());
                    findings.stream().map(Finding::ruleId).distinct()
                            .forEach(rule -> falsePositivesByRule.merge(rule, 1, Integer::sum));
                    if (corpus.equals("benign.jsonl")) {
                        counts.benignFp++;
                    }
                } else if (labelled) {
                    counts.fn++;
                    counts.misses.add("FN " + item.id());
                } else {
                    counts.tn++;
                }
            }
        }
        String table = table(counts, byClass, falsePositivesByRule, items);
        System.out.println(table);
        System.out.println(KIND + ": " + counts.misses);
        Path out = Path.of("target/guardrails-accuracy/tool_poisoning.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table, StandardCharsets.UTF_8);

        Properties thresholds = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/guardrails/accuracy-thresholds.properties")) {
            assertThat(in).as("accuracy-thresholds.properties").isNotNull();
            thresholds.load(in);
        }
        String key = "tool_poisoning." + KIND;
        assertThat(thresholds.getProperty(key + ".precision.min")).as(key + ".precision.min").isNotNull();
        assertThat(thresholds.getProperty(key + ".recall.min")).as(key + ".recall.min").isNotNull();
        assertThat(thresholds.getProperty(key + ".fpr.max")).as(key + ".fpr.max").isNotNull();
        List<String> failures = new ArrayList<>();
        if (counts.precision() < Double.parseDouble(thresholds.getProperty(key + ".precision.min"))) {
            failures.add("precision " + pct(counts.precision()));
        }
        if (counts.recall() < Double.parseDouble(thresholds.getProperty(key + ".recall.min"))) {
            failures.add("recall " + pct(counts.recall()));
        }
        if (counts.fpr() > Double.parseDouble(thresholds.getProperty(key + ".fpr.max"))) {
            failures.add("false-positive rate " + pct(counts.fpr()));
        }
        assertThat(failures).as("accuracy below the committed thresholds").isEmpty();
    }

    @SuppressWarnings("unchecked")
    static List<Finding> scan(Object value) {
        if (value instanceof Map<?, ?> map) {
            return ToolPoisoningDetector.scanDefinition((Map<String, ?>) map);
        }
        return ToolPoisoningDetector.scanDefinition(Map.of("description", value));
    }

    /** {@code tooldef-poisoned-<class>-0001} to {@code <class>}. */
    static String attackClass(String id) {
        String rest = id.substring("tooldef-poisoned-".length());
        return rest.substring(0, rest.lastIndexOf('-'));
    }

    static String table(SensitiveDataAccuracyTest.Counts c, Map<String, int[]> byClass,
                        Map<String, Integer> falsePositivesByRule, int items) {
        StringBuilder t = new StringBuilder();
        t.append("Tool poisoning, ").append(items).append(" items (tool-definitions.jsonl, benign.jsonl)\n\n");
        t.append("| kind | positives | TP | FP | FN | precision | recall | FPR | FP in benign |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        t.append(String.format(Locale.ROOT, "| `%s` | %d | %d | %d | %d | %s | %s | %s | %d |%n", KIND,
                c.tp + c.fn, c.tp, c.fp, c.fn, pct(c.precision()), pct(c.recall()), pct(c.fpr()), c.benignFp));
        t.append("\n| attack class | items | detected | recall |\n|---|---:|---:|---:|\n");
        byClass.forEach((name, n) -> t.append(String.format(Locale.ROOT, "| %s | %d | %d | %s |%n", name, n[0], n[1],
                pct(n[0] == 0 ? 1.0 : (double) n[1] / n[0]))));
        if (!falsePositivesByRule.isEmpty()) {
            t.append("\nFalse positives by rule: ").append(falsePositivesByRule).append('\n');
        }
        return t.toString();
    }

    private static String pct(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
