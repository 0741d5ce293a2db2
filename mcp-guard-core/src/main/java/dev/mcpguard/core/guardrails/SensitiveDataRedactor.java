package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.Finding;
import dev.mcpguard.core.chain.ToolResultAccess;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The sensitive-data guardrail: finds personal data ({@link PersonalDataDetector}) and secrets
 * ({@link SecretDetector}) in a value and, when policy says so, masks them ({@link SensitiveDataMasks}).
 *
 * <p>Two calls, in the order the chain needs them:
 * <ol>
 *   <li>{@link #scan(Object, String, ContentWalker.Limits)}: the findings (kind, rule, path, confidence; never
 *       the text) for the policy input and the audit record;</li>
 *   <li>{@link #redact(Object, String, ContentWalker.Limits)}: a copy of the value with every string masked, and
 *       the findings again. For a tool result, {@link #redact(ToolResultAccess.Parts, ContentWalker.Limits)} works
 *       on the parts {@code ResultRedactor} reads and writes through the same {@link ToolResultAccess}, so
 *       wiring is {@code access.rewrite(result, redactor.redact(access.read(result), limits).value())}.</li>
 * </ol>
 * Both walk the value with {@link ContentWalker} under the given limits; when a limit stops the walk (or the
 * value holds something that is not JSON-like) the answer says {@code complete == false} and a redaction carries
 * no value at all, so the caller fails closed instead of passing on a value that was only partly looked at.
 *
 * <p>Object keys are scanned but never rewritten (a key is the shape of the data, and a rewritten key could
 * collide with another); a key with a finding is reported in {@link Redaction#keyFindings()} so policy can deny.
 * Findings are reported once per kind, rule and path, with the highest confidence seen.
 *
 * <p>The value given is never modified: maps and lists are copied only along the paths to a string that
 * changes (as {@code ResultRedactor} does), so a value with nothing to mask is returned as it is. Immutable and
 * thread-safe.
 */
final class SensitiveDataRedactor {

    private final List<TextDetector> detectors;

    SensitiveDataRedactor(List<TextDetector> detectors) {
        this.detectors = List.copyOf(detectors);
    }

    /** The personal-data and secret detectors {@code config} asks for; {@code clock} dates birth numbers. */
    static SensitiveDataRedactor of(SensitiveDataConfig config, Clock clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        List<TextDetector> detectors = new ArrayList<>(2);
        Set<String> pii = intersect(config.kinds(), PersonalDataDetector.KINDS);
        if (!pii.isEmpty()) {
            detectors.add(new PersonalDataDetector(pii, config.phoneRegion(), clock));
        }
        Set<String> secrets = intersect(config.kinds(), SecretDetector.KINDS);
        if (!secrets.isEmpty()) {
            detectors.add(new SecretDetector(secrets));
        }
        return new SensitiveDataRedactor(detectors);
    }

    /** The findings in a value and whether all of it was scanned. */
    record Scan(List<Finding> findings, boolean complete) {
        Scan {
            findings = List.copyOf(findings);
        }
    }

    /**
     * A redacted value.
     *
     * @param value       the masked copy (the value itself when nothing was masked); null when not complete
     * @param findings    what was found, in values and keys
     * @param keyFindings the findings in object keys, which were not masked
     * @param complete    whether the whole value was scanned; when false, hand nothing on
     */
    record Redaction(Object value, List<Finding> findings, List<Finding> keyFindings, boolean complete) {
        Redaction {
            findings = List.copyOf(findings);
            keyFindings = List.copyOf(keyFindings);
        }
    }

    /** The matches of every detector in {@code text}, by start (detectors' matches may overlap each other). */
    List<TextMatch> matches(String text) {
        if (detectors.size() == 1) {
            return detectors.get(0).scan(text);
        }
        List<TextMatch> all = new ArrayList<>();
        for (TextDetector detector : detectors) {
            all.addAll(detector.scan(text));
        }
        all.sort(java.util.Comparator.comparingInt(TextMatch::start));
        return all;
    }

    /** The findings in every string (values and keys) of {@code value}, under {@code rootPath}. */
    Scan scan(Object value, String rootPath, ContentWalker.Limits limits) {
        Findings findings = new Findings();
        boolean complete = ContentWalker.walk(value, rootPath, limits,
                (path, text) -> findings.add(matches(text), path));
        return new Scan(findings.all(), complete);
    }

    /** {@code text} with every match masked. */
    String redactText(String text) {
        return SensitiveDataMasks.mask(text, matches(text));
    }

    /** A masked copy of {@code value} (see the class comment). */
    Redaction redact(Object value, String rootPath, ContentWalker.Limits limits) {
        if (!ContentWalker.walk(value, rootPath, limits, (path, text) -> { })) {
            return new Redaction(null, List.of(), List.of(), false);
        }
        Findings findings = new Findings();
        Findings keys = new Findings();
        Object copy = copy(value, rootPath, findings, keys);
        return new Redaction(copy, findings.all(), keys.all(), true);
    }

    /**
     * The parts of a tool result, masked: structured content at {@code $.structuredContent}, each content text
     * at {@code $.content[i].text}; one walk, one set of limits, over both. The redaction's value is the masked
     * {@link ToolResultAccess.Parts} (null when not complete).
     */
    Redaction redact(ToolResultAccess.Parts parts, ContentWalker.Limits limits) {
        Redaction redaction = redact(whole(parts), "$", limits);
        if (!redaction.complete()) {
            return redaction;
        }
        Map<?, ?> masked = (Map<?, ?>) redaction.value();
        List<String> texts = null;
        if (parts.texts() != null) {
            texts = new ArrayList<>(parts.texts().size());
            for (Object item : (List<?>) masked.get("content")) {
                texts.add((String) ((Map<?, ?>) item).get("text"));
            }
        }
        ToolResultAccess.Parts out = new ToolResultAccess.Parts(masked.get("structuredContent"), texts);
        // The wrapper's own keys hold nothing; only findings inside the parts are reported.
        return new Redaction(out, redaction.findings(), redaction.keyFindings(), true);
    }

    /**
     * The findings in the parts of a tool result, at the paths {@link #redact(ToolResultAccess.Parts,
     * ContentWalker.Limits)} uses; one walk, one set of limits, over both.
     */
    Scan scan(ToolResultAccess.Parts parts, ContentWalker.Limits limits) {
        return scan(whole(parts), "$", limits);
    }

    /** The parts as one tree: {@code structuredContent} and {@code content[i].text}. */
    private static Map<String, Object> whole(ToolResultAccess.Parts parts) {
        Map<String, Object> whole = new LinkedHashMap<>();
        whole.put("structuredContent", parts.structuredContent());
        List<Object> content = new ArrayList<>();
        if (parts.texts() != null) {
            for (String text : parts.texts()) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("text", text);
                content.add(item);
            }
        }
        whole.put("content", content);
        return whole;
    }

    /** {@code node} with its strings masked: the same object when none changed, else a partial copy. */
    private Object copy(Object node, String path, Findings findings, Findings keys) {
        if (node instanceof String text) {
            List<TextMatch> matches = matches(text);
            if (matches.isEmpty()) {
                return node;
            }
            findings.add(matches, path);
            return SensitiveDataMasks.mask(text, matches);
        }
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = null;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = (String) entry.getKey(); // the walk has checked: string keys only
                String child = ContentWalker.child(path, key);
                List<TextMatch> inKey = matches(key);
                if (!inKey.isEmpty()) {
                    findings.add(inKey, child);
                    keys.add(inKey, child);
                }
                Object value = entry.getValue();
                Object masked = copy(value, child, findings, keys);
                if (masked != value) {
                    if (out == null) {
                        out = new LinkedHashMap<>(map.size());
                        for (Map.Entry<?, ?> e : map.entrySet()) {
                            out.put((String) e.getKey(), e.getValue());
                        }
                    }
                    out.put(key, masked);
                }
            }
            return out == null ? node : out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = null;
            for (int i = 0; i < list.size(); i++) {
                Object element = list.get(i);
                Object masked = copy(element, ContentWalker.index(path, i), findings, keys);
                if (masked != element) {
                    if (out == null) {
                        out = new ArrayList<>(list);
                    }
                    out.set(i, masked);
                }
            }
            return out == null ? node : out;
        }
        return node; // numbers, booleans, null
    }

    private static Set<String> intersect(Set<String> a, Set<String> b) {
        Set<String> both = new java.util.TreeSet<>(a);
        both.retainAll(b);
        return both;
    }

    /** Findings, once per kind, rule and path, with the highest confidence. Not thread-safe; one per call. */
    private static final class Findings {
        private final Map<List<String>, Finding> byKey = new LinkedHashMap<>();

        void add(List<TextMatch> matches, String path) {
            for (TextMatch match : matches) {
                Finding finding = match.toFinding(path);
                byKey.merge(List.of(finding.kind(), finding.ruleId(), finding.path()), finding,
                        (old, now) -> now.confidence() > old.confidence() ? now : old);
            }
        }

        List<Finding> all() {
            return new ArrayList<>(byKey.values());
        }
    }
}
