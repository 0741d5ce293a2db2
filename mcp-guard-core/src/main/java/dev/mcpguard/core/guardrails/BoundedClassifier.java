package dev.mcpguard.core.guardrails;

import com.google.re2j.Pattern;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.spi.ContentClassifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks one {@link ContentClassifier} within bounds, for the guardrail step: {@link #classify} returns a stage that
 * always completes normally, with a {@link Result}, whatever the classifier does.
 *
 * <ul>
 *   <li><b>Text sent</b>: at most {@link Builder#maxItems(int)} items and {@link Builder#maxChars(int)} characters
 *       in all, in the request's order (the last item kept is cut, never inside a surrogate pair; lone surrogates
 *       become U+FFFD; empty items are not sent). A request that had to be cut gives a result with
 *       {@code complete=false}: the caller treats it as it treats an incomplete {@link ContentWalker} walk (fail
 *       closed). A request with nothing left to send is not sent and has no findings.</li>
 *   <li><b>Time budget</b> ({@link Builder#budget(Duration)}): when the classifier has not answered by then, the
 *       result is the failure outcome, and the classifier's stage is cancelled. The timeout's continuation runs on
 *       the configured executor, never on the JDK's shared timer thread.</li>
 *   <li><b>Failure</b>: {@code classify} throwing, returning {@code null}, completing exceptionally or with
 *       {@code null}, or an answer that breaks the contract (a null finding; a kind or rule id that is not dotted
 *       lower snake case; a rule id too long once prefixed) is a failure. Then {@link ClassifierFailureMode}
 *       decides: {@code FAIL_CLOSED} gives the one finding {@code guardrail.unavailable} /
 *       {@code classifier.<name>.unavailable} at {@code $} with confidence 1.0; {@code FAIL_OPEN} gives none.
 *       Either way the result is {@link Result#unavailable() unavailable} and a WARN is logged that names the
 *       classifier, the direction, method and server and what failed, never any text.</li>
 *   <li><b>Findings kept</b>: each rule id becomes {@code classifier.<name>.<rule id>} (a classifier cannot pass
 *       its findings off as a built-in rule's); a path that is not one of the sent items' paths becomes {@code $};
 *       at most {@link Builder#maxFindings(int)} findings, the rest dropped with {@code complete=false}.</li>
 * </ul>
 *
 * <pre>{@code
 * BoundedClassifier promptGuard = BoundedClassifier.builder(httpClassifier)
 *         .budget(Duration.ofMillis(300)).failureMode(ClassifierFailureMode.FAIL_CLOSED).build();
 * promptGuard.classify(request).thenApply(result -> addFindings(result.findings()));
 * }</pre>
 *
 * <p>Immutable and thread-safe; one instance serves all concurrent calls.
 */
final class BoundedClassifier {

    /** The kind of the finding a failed classifier gives under {@link ClassifierFailureMode#FAIL_CLOSED}. */
    static final String UNAVAILABLE_KIND = "guardrail.unavailable";
    /** Default time budget: a model behind HTTP answers a few KB in tens of milliseconds. */
    static final Duration DEFAULT_BUDGET = Duration.ofMillis(500);
    /** Default bound on the characters sent in one request. */
    static final int DEFAULT_MAX_CHARS = 64 * 1024;
    /** Default bound on the items sent in one request. */
    static final int DEFAULT_MAX_ITEMS = 512;
    /** Default bound on the findings kept from one answer. */
    static final int DEFAULT_MAX_FINDINGS = 64;
    /** The longest classifier name. */
    static final int MAX_NAME_LENGTH = 32;

    private static final Logger log = LoggerFactory.getLogger(BoundedClassifier.class);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0," + (MAX_NAME_LENGTH - 1) + "}");
    private static final int MAX_FINDING_NAME = 64; // Finding's own bound on kinds and rule ids

    /** Why a classification failed; in the result so the audit record can say which. */
    enum Failure {
        /** No answer within the budget, or within the classifier's own shorter timeout. */
        TIMEOUT,
        /** The classifier threw, returned null or completed exceptionally (down, HTTP error, malformed answer). */
        ERROR,
        /** The answer broke the contract (null findings, names that are not dotted lower snake case). */
        INVALID_ANSWER
    }

    /**
     * The outcome of one classification.
     *
     * @param classifier the classifier's name
     * @param findings   the findings, rule ids prefixed; under {@code FAIL_CLOSED} after a failure, the one
     *                   {@code guardrail.unavailable} finding
     * @param complete   false when the request had to be cut or findings were dropped
     * @param failure    why the classifier gave no usable answer, when it did not
     */
    record Result(String classifier, List<Finding> findings, boolean complete, Optional<Failure> failure) {

        Result {
            Objects.requireNonNull(classifier, "classifier");
            findings = List.copyOf(findings);
            Objects.requireNonNull(failure, "failure");
        }

        /** True when the classifier gave no usable answer (timed out, failed, or broke the contract). */
        boolean unavailable() {
            return failure.isPresent();
        }
    }

    private final ContentClassifier classifier;
    private final String name;
    private final String rulePrefix;
    private final Finding unavailableFinding;
    private final Duration budget;
    private final ClassifierFailureMode failureMode;
    private final int maxChars;
    private final int maxItems;
    private final int maxFindings;
    private final Executor executor;

    private BoundedClassifier(Builder builder, String name) {
        this.classifier = builder.classifier;
        this.name = name;
        this.rulePrefix = "classifier." + name + ".";
        this.unavailableFinding = new Finding(UNAVAILABLE_KIND, rulePrefix + "unavailable", "$", 1.0);
        this.budget = builder.budget;
        this.failureMode = builder.failureMode;
        this.maxChars = builder.maxChars;
        this.maxItems = builder.maxItems;
        this.maxFindings = builder.maxFindings;
        this.executor = builder.executor;
    }

    /** Starts a builder for bounded calls to {@code classifier}. */
    static Builder builder(ContentClassifier classifier) {
        return new Builder(classifier);
    }

    /** The classifier's name, as in rule ids and logs. */
    String name() {
        return name;
    }

    /** The configured failure mode. */
    ClassifierFailureMode failureMode() {
        return failureMode;
    }

    /**
     * Asks the classifier about {@code request}, bounded as the class describes. The stage always completes
     * normally, at the latest about one budget after the call.
     */
    CompletionStage<Result> classify(ContentClassifier.Request request) {
        Objects.requireNonNull(request, "request");
        BoundedRequest bounded = bound(request);
        if (bounded.request.items().isEmpty()) {
            return CompletableFuture.completedFuture(new Result(name, List.of(), bounded.complete, Optional.empty()));
        }
        CompletionStage<List<Finding>> stage;
        try {
            stage = classifier.classify(bounded.request);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failed(request, Failure.ERROR, bounded.complete,
                    "it threw " + e.getClass().getName()));
        }
        if (stage == null) {
            return CompletableFuture.completedFuture(failed(request, Failure.ERROR, bounded.complete,
                    "it returned a null stage"));
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        // Whoever decides first (the answer or the budget) logs, then completes: the log line is written (and a
        // timed-out stage cancelled) before the caller sees the result; a late answer neither changes it nor logs.
        AtomicBoolean decided = new AtomicBoolean();
        CompletableFuture<Void> timer = afterDelay(budget, executor, () -> {
            if (decided.compareAndSet(false, true)) {
                logFailure(request, Failure.TIMEOUT, "no answer within " + budget.toMillis() + " ms");
                cancel(stage);
                result.complete(new Result(name, failureFindings(), bounded.complete, Optional.of(Failure.TIMEOUT)));
            }
        });
        stage.whenComplete((findings, error) -> {
            timer.complete(null); // unschedules the timeout
            if (decided.get()) {
                return; // the budget ran out first; the late answer is dropped
            }
            Answer answer = answered(bounded, findings, error);
            if (decided.compareAndSet(false, true)) {
                answer.log(this, request);
                result.complete(answer.result());
            }
        });
        return result;
    }

    /**
     * Runs {@code task} on {@code executor} once {@code delay} has passed, unless the returned future is completed
     * first, which also removes the task from the JDK's timer queue (so answered calls leave nothing scheduled). The
     * timer thread only hands the task over; should {@code executor} refuse it, it runs there all the same, since
     * a stage that never completes would hold the call forever.
     */
    static CompletableFuture<Void> afterDelay(Duration delay, Executor executor, Runnable task) {
        CompletableFuture<Void> timer = new CompletableFuture<>();
        timer.orTimeout(delay.toNanos(), TimeUnit.NANOSECONDS).whenComplete((ignored, error) -> {
            if (error instanceof TimeoutException) {
                try {
                    executor.execute(task);
                } catch (RejectedExecutionException e) {
                    task.run();
                }
            }
        });
        return timer;
    }

    private Answer answered(BoundedRequest bounded, List<Finding> findings, Throwable error) {
        if (error != null) {
            return failure(bounded, timedOut(error) ? Failure.TIMEOUT : Failure.ERROR, describe(error));
        }
        if (findings == null) {
            return failure(bounded, Failure.INVALID_ANSWER, "it completed with null");
        }
        try {
            return kept(bounded, findings);
        } catch (InvalidAnswer e) {
            return failure(bounded, Failure.INVALID_ANSWER, e.getMessage());
        } catch (RuntimeException e) {
            // A list that throws on iteration, for example.
            return failure(bounded, Failure.INVALID_ANSWER, "reading its answer threw " + e.getClass().getName());
        }
    }

    private Answer failure(BoundedRequest bounded, Failure failure, String what) {
        return new Answer(new Result(name, failureFindings(), bounded.complete, Optional.of(failure)), what, 0);
    }

    private Answer kept(BoundedRequest bounded, List<Finding> findings) throws InvalidAnswer {
        int count = findings.size();
        List<Finding> kept = new ArrayList<>(Math.min(count, maxFindings));
        for (Finding finding : findings) {
            if (kept.size() == maxFindings) {
                break;
            }
            if (finding == null) {
                throw new InvalidAnswer("a finding is null");
            }
            if (!isDottedSnakeCase(finding.kind())) {
                throw new InvalidAnswer("a finding's kind is not dotted lower snake case");
            }
            if (!isDottedSnakeCase(finding.ruleId())) {
                throw new InvalidAnswer("a finding's rule id is not dotted lower snake case");
            }
            String ruleId = rulePrefix + finding.ruleId();
            if (ruleId.length() > MAX_FINDING_NAME) {
                throw new InvalidAnswer("a finding's rule id is longer than "
                        + (MAX_FINDING_NAME - rulePrefix.length()) + " characters");
            }
            String path = bounded.paths.contains(finding.path()) ? finding.path() : "$";
            kept.add(new Finding(finding.kind(), ruleId, path, finding.confidence()));
        }
        int dropped = count - kept.size();
        return new Answer(new Result(name, kept, bounded.complete && dropped == 0, Optional.empty()), null, dropped);
    }

    private List<Finding> failureFindings() {
        return failureMode == ClassifierFailureMode.FAIL_CLOSED ? List.of(unavailableFinding) : List.of();
    }

    private Result failed(ContentClassifier.Request request, Failure failure, boolean complete, String what) {
        logFailure(request, failure, what);
        return new Result(name, failureFindings(), complete, Optional.of(failure));
    }

    private void logFailure(ContentClassifier.Request request, Failure failure, String what) {
        // Names only: the request's text, and the classifier's own messages (which may echo it), are never logged.
        log.warn("Classifier {} is unavailable for the {} of {} on server {} ({}: {}); failing {}", name,
                request.direction(), request.method(), request.server(), failure, what,
                failureMode == ClassifierFailureMode.FAIL_CLOSED ? "closed" : "open");
    }

    /** A result, with what to log once it is the one the caller gets. */
    private record Answer(Result result, String failureDetail, int droppedFindings) {

        void log(BoundedClassifier owner, ContentClassifier.Request request) {
            if (result.failure().isPresent()) {
                owner.logFailure(request, result.failure().get(), failureDetail);
            } else if (droppedFindings > 0) {
                BoundedClassifier.log.warn("Classifier {} returned {} findings for the {} of {} on server {}; "
                        + "kept the first {}", owner.name, result.findings().size() + droppedFindings,
                        request.direction(), request.method(), request.server(), result.findings().size());
            }
        }
    }

    /** True when the classifier itself gave up waiting (its own timeout, shorter than the budget). */
    private static boolean timedOut(Throwable error) {
        Throwable cause = unwrapped(error);
        return cause instanceof TimeoutException
                || cause instanceof ClassifierUnavailableException unavailable && unavailable.timedOut();
    }

    private static Throwable unwrapped(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** What an exceptional completion was, safe to log: a class name, or the safe message of our own exception. */
    private static String describe(Throwable error) {
        Throwable cause = unwrapped(error);
        if (cause instanceof ClassifierUnavailableException unavailable) {
            return unavailable.getMessage();
        }
        if (cause instanceof CancellationException) {
            return "it was cancelled";
        }
        if (cause instanceof TimeoutException) {
            return "it timed out";
        }
        return "it failed with " + cause.getClass().getName();
    }

    private static void cancel(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().cancel(true);
        } catch (RuntimeException e) {
            // A stage that cannot be converted or cancelled: its answer is ignored anyway.
        }
    }

    /** The request cut to the bounds, lone surrogates replaced, with the paths that were sent. */
    private BoundedRequest bound(ContentClassifier.Request request) {
        List<ContentClassifier.Item> items = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        boolean complete = true;
        int left = maxChars;
        for (ContentClassifier.Item item : request.items()) {
            if (item.text().isEmpty()) {
                continue;
            }
            if (items.size() == maxItems || left == 0) {
                complete = false;
                break;
            }
            String text = item.text();
            if (text.length() > left) {
                int cut = left;
                if (Character.isHighSurrogate(text.charAt(cut - 1))) {
                    cut--;
                }
                text = text.substring(0, cut);
                complete = false;
                left = 0;
                if (text.isEmpty()) {
                    break;
                }
            } else {
                left -= text.length();
            }
            items.add(new ContentClassifier.Item(item.path(), wellFormed(text)));
            paths.add(item.path());
        }
        ContentClassifier.Request sent = new ContentClassifier.Request(request.direction(), request.server(),
                request.method(), request.target(), items);
        return new BoundedRequest(sent, Set.copyOf(paths), complete);
    }

    /** {@code text} with every lone surrogate replaced by U+FFFD (same length); JSON cannot carry one. */
    static String wellFormed(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pairStart = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (pairStart) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
                continue;
            }
            boolean lone = Character.isSurrogate(c);
            if (lone && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                out.append(lone ? '\uFFFD' : c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** True for a classifier name: lower snake case, starting with a letter, at most 32 characters. */
    static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * True for {@code a_b.c1}: dot-separated words of {@code a-z0-9_}, each starting with a letter, at most 64
     * characters. A loop, not a pattern: it runs twice per finding of every answer.
     */
    static boolean isDottedSnakeCase(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_FINDING_NAME) {
            return false;
        }
        boolean wordStart = true;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (wordStart) {
                if (c < 'a' || c > 'z') {
                    return false;
                }
                wordStart = false;
            } else if (c == '.') {
                wordStart = true;
            } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return !wordStart;
    }

    @Override
    public String toString() {
        return "BoundedClassifier[" + name + ", budget=" + budget.toMillis() + "ms, " + failureMode + "]";
    }

    private record BoundedRequest(ContentClassifier.Request request, Set<String> paths, boolean complete) {
    }

    /** The answer broke the contract; the message names what, never a value. */
    private static final class InvalidAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidAnswer(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Configures a {@link BoundedClassifier}. Not thread-safe; build once. Setters reject bad values with a message
     * that shows the value.
     */
    static final class Builder {
        private final ContentClassifier classifier;
        private Duration budget = DEFAULT_BUDGET;
        private ClassifierFailureMode failureMode = ClassifierFailureMode.FAIL_CLOSED;
        private int maxChars = DEFAULT_MAX_CHARS;
        private int maxItems = DEFAULT_MAX_ITEMS;
        private int maxFindings = DEFAULT_MAX_FINDINGS;
        private Executor executor = ForkJoinPool.commonPool();

        private Builder(ContentClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
        }

        /** How long to wait for an answer; default 500 ms; positive, at most 60 s. */
        Builder budget(Duration budget) {
            Objects.requireNonNull(budget, "budget");
            if (budget.isNegative() || budget.isZero() || budget.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new IllegalArgumentException("budget must be positive and at most 60 s, got " + budget);
            }
            this.budget = budget;
            return this;
        }

        /** What a failure gives; default {@link ClassifierFailureMode#FAIL_CLOSED}. */
        Builder failureMode(ClassifierFailureMode failureMode) {
            this.failureMode = Objects.requireNonNull(failureMode, "failureMode");
            return this;
        }

        /** Characters sent in one request, summed over its items; default 65,536; 1 to 16 Mi. */
        Builder maxChars(int maxChars) {
            this.maxChars = within("maxChars", maxChars, 1, 16 << 20);
            return this;
        }

        /** Items sent in one request; default 512; 1 to 100,000. */
        Builder maxItems(int maxItems) {
            this.maxItems = within("maxItems", maxItems, 1, 100_000);
            return this;
        }

        /** Findings kept from one answer; default 64; 1 to 10,000. */
        Builder maxFindings(int maxFindings) {
            this.maxFindings = within("maxFindings", maxFindings, 1, 10_000);
            return this;
        }

        /**
         * Where a timed-out classification completes (and so where the chain continues after a timeout); default
         * {@link ForkJoinPool#commonPool()}.
         */
        Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Builds the wrapper; fails when the classifier's name is not lower snake case of at most 32 characters. */
        BoundedClassifier build() {
            String name = classifier.name();
            if (!isValidName(name)) {
                throw new IllegalArgumentException("classifier name must be lower snake case (a-z, 0-9, '_', "
                        + "starting with a letter), at most " + MAX_NAME_LENGTH + " characters, got "
                        + (name == null ? "null" : "'" + name + "'") + " from " + classifier.getClass().getName());
            }
            return new BoundedClassifier(this, name);
        }

        private static int within(String what, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(what + " must be within [" + min + ", " + max + "], got " + value);
            }
            return value;
        }
    }
}
