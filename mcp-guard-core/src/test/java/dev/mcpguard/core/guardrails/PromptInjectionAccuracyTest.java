package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Precision, recall and false-positive rate of {@link PromptInjectionDetector} (default configuration) over
 * {@code injection.jsonl} (every item an injection) and the benign corpus {@code benign.jsonl} (none is), overall
 * (an item is reported when any rule fires anywhere in it) and per rule (an item is reported by the rule when the
 * rule fires in it; the rule's recall is the share of injections it catches, its precision the share of its
 * reports that are injections). Each string of a structured item is scanned, as the guardrail step will.
 *
 * <p>The tables go to the test log and to {@code target/guardrails-accuracy/prompt_injection.md}; each figure must
 * be no worse than its threshold in {@code accuracy-thresholds.properties} (keys
 * {@code injection.<overall|rule>.precision.min}, {@code .recall.min}, {@code .fpr.max}), set from the first
 * measurement. A rule without thresholds fails the test, so a new rule cannot ship unmeasured.
 */
class PromptInjectionAccuracyTest {

    private static final String KIND = PromptInjectionDetector.KIND;
    private static final String OVERALL = "overall";

    @Test
    void overallAndEveryRuleAreAtLeastAsAccurateAsTheirThresholds() throws IOException {
        PromptInjectionDetector detector = PromptInjectionDetector.ofDefaults();
        Map<String, SensitiveDataAccuracyTest.Counts> counts = new TreeMap<>();
        counts.put(OVERALL, new SensitiveDataAccuracyTest.Counts());
        PromptInjectionDetector.RULE_IDS.forEach(
                rule -> counts.put(shortName(rule), new SensitiveDataAccuracyTest.Counts()));
        Map<String, int[]> bySource = new TreeMap<>();
        int items = 0;
        for (String corpus : List.of("injection.jsonl", "benign.jsonl")) {
            for (SensitiveDataAccuracyTest.Item item : SensitiveDataAccuracyTest.load(corpus)) {
                items++;
                Set<String> rules = new HashSet<>();
                boolean complete = ContentWalker.walk(item.value(), "$", ContentWalker.Limits.DEFAULTS,
                        (path, text) -> detector.scan(text).forEach(m -> rules.add(shortName(m.ruleId()))));
                assertThat(complete).as(item.id()).isTrue();
                boolean injection = item.labels().contains(KIND);
                count(counts.get(OVERALL), injection, !rules.isEmpty(), corpus, item.id());
                for (String rule : counts.keySet()) {
                    if (!rule.equals(OVERALL)) {
                        count(counts.get(rule), injection, rules.contains(rule), corpus, item.id());
                    }
                }
                if (injection) {
                    int[] source = bySource.computeIfAbsent(source(item.id()), s -> new int[2]);
                    source[0]++;
                    source[1] += rules.isEmpty() ? 0 : 1;
                }
            }
        }
        String table = table(counts, bySource, items);
        System.out.println(table);
        List<String> misses = counts.get(OVERALL).misses;
        System.out.println("false positives: " + misses.stream().filter(m -> m.startsWith("FP")).limit(40).toList());
        System.out.println("missed: " + misses.stream().filter(m -> m.startsWith("FN")).limit(120).toList());
        Path out = Path.of("target/guardrails-accuracy/prompt_injection.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table, StandardCharsets.UTF_8);

        Properties thresholds = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/guardrails/accuracy-thresholds.properties")) {
            assertThat(in).as("accuracy-thresholds.properties").isNotNull();
            thresholds.load(in);
        }
        List<String> failures = new ArrayList<>();
        counts.forEach((rule, c) -> {
            String key = "injection." + rule;
            String precision = thresholds.getProperty(key + ".precision.min");
            String recall = thresholds.getProperty(key + ".recall.min");
            String fpr = thresholds.getProperty(key + ".fpr.max");
            if (precision == null || recall == null || fpr == null) {
                failures.add(rule + ": no thresholds (" + key + ".precision.min, .recall.min, .fpr.max)");
                return;
            }
            if (c.precision() < Double.parseDouble(precision)) {
                failures.add(rule + ": precision " + pct(c.precision()) + " < " + precision);
            }
            if (c.recall() < Double.parseDouble(recall)) {
                failures.add(rule + ": recall " + pct(c.recall()) + " < " + recall);
            }
            if (c.fpr() > Double.parseDouble(fpr)) {
                failures.add(rule + ": false-positive rate " + pct(c.fpr()) + " > " + fpr);
            }
        });
        assertThat(failures).as("accuracy below the committed thresholds").isEmpty();
    }

    private static void count(SensitiveDataAccuracyTest.Counts c, boolean injection, boolean reported, String corpus,
            String id) {
        if (injection && reported) {
            c.tp++;
        } else if (reported) {
            c.fp++;
            c.misses.add("FP " + id);
            if (corpus.equals("benign.jsonl")) {
                c.benignFp++;
            }
        } else if (injection) {
            c.fn++;
            c.misses.add("FN " + id);
        } else {
            c.tn++;
        }
    }

    /** {@code injection.role_hijack} as {@code role_hijack}. */
    private static String shortName(String ruleId) {
        return ruleId.substring("injection.".length());
    }

    /** The source part of an item id: {@code injection-latentinjection-...} as {@code latentinjection}. */
    private static String source(String id) {
        String rest = id.substring("injection-".length());
        for (String known : List.of("promptinject", "latentinjection", "web-injection", "sysprompt-extraction",
                "obfuscated", "tool-result")) {
            if (rest.startsWith(known + "-")) {
                return known;
            }
        }
        return rest;
    }

    static String table(Map<String, SensitiveDataAccuracyTest.Counts> counts, Map<String, int[]> bySource,
            int items) {
        StringBuilder t = new StringBuilder();
        t.append("Prompt injection, default configuration, ").append(items)
                .append(" items (injection.jsonl, benign.jsonl)\n\n");
        t.append("| rule | TP | FP | FN | precision | recall | FPR |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|\n");
        Map<String, SensitiveDataAccuracyTest.Counts> ordered = new LinkedHashMap<>();
        ordered.put(OVERALL, counts.get(OVERALL));
        counts.forEach(ordered::putIfAbsent);
        ordered.forEach((rule, c) -> t.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %s | %s |%n",
                rule.equals(OVERALL) ? "**all rules**" : "`injection." + rule + "`", c.tp, c.fp, c.fn,
                pct(c.precision()), pct(c.recall()), pct(c.fpr()))));
        t.append("\nRecall by source (any rule)\n\n| source | items | found | recall |\n|---|---:|---:|---:|\n");
        bySource.forEach((source, n) -> t.append(String.format(Locale.ROOT, "| `%s` | %d | %d | %s |%n", source,
                n[0], n[1], pct((double) n[1] / n[0]))));
        return t.toString();
    }

    private static String pct(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
