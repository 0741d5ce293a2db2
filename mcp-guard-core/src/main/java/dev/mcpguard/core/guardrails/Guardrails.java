package dev.mcpguard.core.guardrails;

import java.time.Clock;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which guardrail detectors look at what flows through the guarded server: the arguments of each request and
 * the result of each handler, per tool. What the detectors find goes to policy ({@code input.guardrails}, see
 * {@code docs/policy.md}); policy decides whether the call runs, and whether the result goes out as it is,
 * masked ({@code redact_findings}), marked ({@code mark_findings}) or not at all. Detectors never decide alone.
 *
 * <pre>{@code
 * Guardrails guardrails = Guardrails.builder()
 *         .arguments(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.SECRETS)
 *         .results(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.PERSONAL_DATA, Guardrails.Check.SECRETS)
 *         .tool("export_report", Set.of(), Set.of(Guardrails.Check.SECRETS)) // this tool's results: secrets only
 *         .build();
 * McpGuard guard = McpGuard.builder()...guardrails(guardrails).build();
 * }</pre>
 *
 * <p>The defaults ({@link Builder#arguments}, {@link Builder#results}) apply to every request: tool calls,
 * resource reads (results only: a read has no arguments), prompts and completions; {@link Builder#tool} replaces
 * them for one tool's calls. A request with nothing to check costs nothing: the step passes it on untouched.
 * Without {@code McpGuard.Builder.guardrails} the step is not in the chain at all.
 *
 * <p>These are defence in depth, never a guarantee: the rules miss what they were not written for (see
 * {@code docs/guardrails.md} for what each detects, what it does not, and its measured accuracy).
 *
 * <p>Immutable and thread-safe; the builder is not thread-safe.
 */
public final class Guardrails {

    /** The most tools {@link Builder#tool} may configure. */
    public static final int MAX_TOOL_OVERRIDES = 1_024;

    /** A family of detectors. */
    public enum Check {
        /** Instructions aimed at the model: overrides, role hijack, exfiltration, tool-call injection. */
        PROMPT_INJECTION,
        /** Personal data: payment cards, IBANs, e-mail addresses, phone numbers, US SSNs, CZ/SK birth numbers. */
        PERSONAL_DATA,
        /** Secrets: cloud keys, GitHub/GitLab/Slack tokens, JWTs, private keys, high-entropy values near key words. */
        SECRETS,
        /**
         * The external classifier set with {@link Builder#classifier} (a model behind HTTP, for what rules miss:
         * paraphrases, other languages), asked within its time budget.
         */
        CLASSIFIER
    }

    /** What one request is checked for: its arguments, and its result. */
    record Scope(Set<Check> arguments, Set<Check> results) {
        static final Scope NONE = new Scope(Set.of(), Set.of());

        Scope {
            arguments = Set.copyOf(arguments);
            results = Set.copyOf(results);
        }

        boolean isEmpty() {
            return arguments.isEmpty() && results.isEmpty();
        }
    }

    private final Scope defaults;
    private final Map<String, Scope> tools;
    private final SensitiveDataConfig sensitiveData;
    private final ContentWalker.Limits limits;
    private final BoundedClassifier classifier;

    private Guardrails(Builder builder) {
        this.defaults = new Scope(builder.arguments, builder.results);
        this.tools = Map.copyOf(builder.tools);
        this.sensitiveData = builder.sensitiveData;
        this.limits = builder.limits;
        this.classifier = builder.classifier;
    }

    /** A builder with nothing checked. */
    public static Builder builder() {
        return new Builder();
    }

    /** What a request for {@code toolName} (null for a request that is not a tool call) is checked for. */
    Scope scopeFor(String toolName) {
        if (toolName != null) {
            Scope scope = tools.get(toolName);
            if (scope != null) {
                return scope;
            }
        }
        return defaults;
    }

    ContentWalker.Limits limits() {
        return limits;
    }

    /** The bounded external classifier, or null when none is configured. */
    BoundedClassifier classifier() {
        return classifier;
    }

    /** One detector per check, the personal-data and secret detectors restricted to the configured kinds. */
    Map<Check, List<TextDetector>> detectors(Clock clock) {
        Map<Check, List<TextDetector>> detectors = new EnumMap<>(Check.class);
        detectors.put(Check.PROMPT_INJECTION, List.of(PromptInjectionDetector.ofDefaults()));
        Set<String> pii = new TreeSet<>(sensitiveData.kinds());
        pii.retainAll(PersonalDataDetector.KINDS);
        detectors.put(Check.PERSONAL_DATA, pii.isEmpty() ? List.of()
                : List.of(new PersonalDataDetector(pii, sensitiveData.phoneRegion(), clock)));
        Set<String> secrets = new TreeSet<>(sensitiveData.kinds());
        secrets.retainAll(SecretDetector.KINDS);
        detectors.put(Check.SECRETS, secrets.isEmpty() ? List.of() : List.of(new SecretDetector(secrets)));
        detectors.put(Check.CLASSIFIER, List.of()); // asked asynchronously, not a text detector
        return detectors;
    }

    /** The check whose detectors report {@code kind}, if any of ours does. */
    static java.util.Optional<Check> checkReporting(String kind) {
        if (PromptInjectionDetector.KIND.equals(kind)) {
            return java.util.Optional.of(Check.PROMPT_INJECTION);
        }
        if (PersonalDataDetector.KINDS.contains(kind)) {
            return java.util.Optional.of(Check.PERSONAL_DATA);
        }
        if (SecretDetector.KINDS.contains(kind)) {
            return java.util.Optional.of(Check.SECRETS);
        }
        return java.util.Optional.empty();
    }

    @Override
    public String toString() {
        return "Guardrails[arguments=" + new TreeSet<>(defaults.arguments()) + ", results="
                + new TreeSet<>(defaults.results()) + ", toolOverrides=" + new TreeSet<>(tools.keySet())
                + ", sensitiveData=" + sensitiveData + ", limits=" + limits
                + (classifier == null ? "" : ", classifier=" + classifier) + "]";
    }

    /** Builds {@link Guardrails}; setters reject bad values at once. Not thread-safe. */
    public static final class Builder {
        private Set<Check> arguments = EnumSet.noneOf(Check.class);
        private Set<Check> results = EnumSet.noneOf(Check.class);
        private final Map<String, Scope> tools = new LinkedHashMap<>();
        private SensitiveDataConfig sensitiveData = SensitiveDataConfig.ofDefaults();
        private ContentWalker.Limits limits = ContentWalker.Limits.DEFAULTS;
        private BoundedClassifier classifier;

        private Builder() {
        }

        /** What every request's arguments are checked for, unless {@link #tool} says otherwise. */
        public Builder arguments(Check... checks) {
            this.arguments = checks(List.of(checks));
            return this;
        }

        /** What every handler's result is checked for, unless {@link #tool} says otherwise. */
        public Builder results(Check... checks) {
            this.results = checks(List.of(checks));
            return this;
        }

        /**
         * What calls of the tool {@code name} are checked for, instead of the defaults (empty sets: nothing).
         * At most {@value #MAX_TOOL_OVERRIDES} tools.
         */
        public Builder tool(String name, Set<Check> arguments, Set<Check> results) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("tool name must not be blank");
            }
            if (!tools.containsKey(name) && tools.size() >= MAX_TOOL_OVERRIDES) {
                throw new IllegalArgumentException("at most " + MAX_TOOL_OVERRIDES + " tools may be configured");
            }
            tools.put(name, new Scope(checks(arguments), checks(results)));
            return this;
        }

        /** Which personal-data and secret kinds {@link Check#PERSONAL_DATA} and {@link Check#SECRETS} look for. */
        public Builder sensitiveData(SensitiveDataConfig config) {
            this.sensitiveData = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Bounds on one scanned value (default 64 levels, 10,000 strings, 1 Mi characters). A value beyond them
         * is reported to policy as not completely scanned ({@code complete: false}), never as clean.
         */
        public Builder limits(int maxDepth, int maxStrings, long maxChars) {
            this.limits = new ContentWalker.Limits(maxDepth, maxStrings, maxChars);
            return this;
        }

        /**
         * The external classifier {@link Check#CLASSIFIER} asks, within {@code budget} (at most 60 s). When it
         * cannot answer in time (down, slow, an error, an answer that breaks its contract), {@code failureMode}
         * decides: {@link ClassifierFailureMode#FAIL_CLOSED} reports a {@code guardrail.unavailable} finding
         * (which the reference policy denies), {@link ClassifierFailureMode#FAIL_OPEN} reports none and the audit
         * record says the classifier was unavailable. At most 65,536 characters of a value are sent; a value cut
         * to fit is reported as not completely scanned.
         */
        public Builder classifier(dev.mcpguard.api.spi.ContentClassifier classifier, java.time.Duration budget,
                                  ClassifierFailureMode failureMode) {
            this.classifier = BoundedClassifier.builder(classifier).budget(budget).failureMode(failureMode).build();
            return this;
        }

        /** @throws IllegalStateException when {@link Check#CLASSIFIER} is asked for but no classifier is set */
        public Guardrails build() {
            if (classifier == null && (arguments.contains(Check.CLASSIFIER) || results.contains(Check.CLASSIFIER)
                    || tools.values().stream().anyMatch(scope -> scope.arguments().contains(Check.CLASSIFIER)
                    || scope.results().contains(Check.CLASSIFIER)))) {
                throw new IllegalStateException("Check.CLASSIFIER is configured but no classifier is set: call "
                        + "classifier(...)");
            }
            return new Guardrails(this);
        }

        private static Set<Check> checks(Collection<Check> checks) {
            Objects.requireNonNull(checks, "checks");
            EnumSet<Check> set = EnumSet.noneOf(Check.class);
            for (Check check : checks) {
                set.add(Objects.requireNonNull(check, "check"));
            }
            return set;
        }
    }
}
