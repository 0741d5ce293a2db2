package dev.mcpguard.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Hands what one policy evaluation saw (the decision path, the input document, OPA's raw result, the bundle
 * revisions, what it measured) from the engine that evaluated it to the decision log that asked, on the same
 * thread: {@code PolicyEngine.decide} is synchronous and returns a {@code Decision}, which has no room for them.
 *
 * <p>Only while a decision log listens ({@link #begin()} ... {@link #end}) does {@link #current()} return a
 * recording; otherwise it returns null and the engines record nothing, so a guard without a decision log pays one
 * thread-local read per decision. Not API: for the policy packages of mcp-guard only.
 *
 * <p>A {@link Recording} belongs to the thread that began it; an {@link Evaluation} is immutable by contract (its
 * nodes are never modified after {@link Recording#evaluated}: readers copy before they mask) and may be shared, as
 * the decision cache does.
 */
public final class PolicyEvaluationRecorder {

    private static final ThreadLocal<Recording> CURRENT = new ThreadLocal<>();

    private PolicyEvaluationRecorder() {
    }

    /**
     * What one evaluation saw.
     *
     * @param path    the decision path as OPA logs it, for example {@code mcp/authz/decision}
     * @param input   the input document evaluated
     * @param result  the raw result; empty when the document was undefined for the input
     * @param bundles bundle name to revision
     * @param metrics measurements, named as OPA names its decision-log metrics
     */
    public record Evaluation(String path, JsonNode input, Optional<JsonNode> result, Map<String, String> bundles,
                             Map<String, Long> metrics) {
        public Evaluation {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(result, "result");
            bundles = Map.copyOf(bundles);
            metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }
    }

    /** The facts one decision log asked for; one thread's. */
    public static final class Recording {
        private final Recording previous;
        private Evaluation evaluation;
        private boolean cacheHit;

        private Recording(Recording previous) {
            this.previous = previous;
        }

        /** The engine evaluated: records what it saw (the last evaluation wins, as the last is what decided). */
        public void evaluated(Evaluation evaluation) {
            this.evaluation = Objects.requireNonNull(evaluation, "evaluation");
            this.cacheHit = false;
        }

        /** The decision came from the decision cache: {@code cached} is the evaluation that made it. */
        public void cacheHit(Evaluation cached) {
            this.evaluation = Objects.requireNonNull(cached, "cached");
            this.cacheHit = true;
        }

        /** The evaluation behind the decision; empty when none ran (a denial decided before evaluating). */
        public Optional<Evaluation> evaluation() {
            return Optional.ofNullable(evaluation);
        }

        /** Whether the evaluation was replayed from the decision cache. */
        public boolean fromCache() {
            return cacheHit;
        }
    }

    /** Starts recording on this thread; pass the result to {@link #end}. Nested recordings restore the outer one. */
    public static Recording begin() {
        Recording recording = new Recording(CURRENT.get());
        CURRENT.set(recording);
        return recording;
    }

    /** Stops {@code recording} (always, in a {@code finally}). */
    public static void end(Recording recording) {
        if (recording.previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(recording.previous);
        }
    }

    /** This thread's recording, or null when no decision log listens. */
    public static Recording current() {
        return CURRENT.get();
    }
}
