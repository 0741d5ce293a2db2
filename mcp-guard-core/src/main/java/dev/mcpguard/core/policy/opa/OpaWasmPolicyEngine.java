package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import dev.mcpguard.core.policy.ToolListEvaluation;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded policy engine (the default): OPA policies compiled to WebAssembly and evaluated in this process
 * with opa-java-wasm (Chicory), no sidecar and no network hop per decision.
 *
 * <p>The engine evaluates the current bundle's entrypoint (default {@code mcp/authz/decision}) with the input
 * document (version 1 of the contract in {@code docs/policy.md}) and reads the result as the remote engine does;
 * every decision carries the bundle revision, which the audit record stores as {@code policy_revision}.
 *
 * <p>{@code tools/list}: when the bundle also has the list entrypoint ({@link Builder#visibleToolsEntrypoint},
 * default {@code mcp/authz/visible_tools}; {@code opa build -e mcp/authz/decision -e mcp/authz/visible_tools}),
 * {@link #visibleTools} evaluates it once for the whole list; a bundle without it (a policy written before) is
 * asked once per tool, as before. Which mode a bundle is served in is logged at INFO when it loads.
 *
 * <p>Loading: {@link #pollNow()} (or {@link #startPolling(Duration)}) fetches the bundle from its
 * {@link BundleSource}, reads and verifies it ({@link OpaBundle}), refuses a module that needs a builtin the
 * engine does not provide (naming it), builds a complete pool of policy instances and evaluates a smoke input,
 * warms the pool up ({@link Builder#warmUp(Duration)}: decisions of synthetic and typical calls, so the JIT has
 * compiled the module before real calls come), and only then publishes the new pool atomically. Calls in flight finish on the old pool. A bad new bundle
 * leaves the last good one in place; the reason is logged (WARN) and kept in {@link #lastLoadError()}.
 *
 * <p>Failing closed: until a bundle has loaded every decision is a deny with {@link ReasonCode#POLICY_NOT_LOADED}; an
 * evaluation error is a deny with {@link ReasonCode#POLICY_ERROR}. {@link #decide} never throws. A string with
 * a lone UTF-16 surrogate (on which the module's own JSON parser aborts) is evaluated as OPA evaluates it, with
 * U+FFFD in its place. Input no engine can take (a non-finite number) is denied before evaluation with
 * {@link ReasonCode#INVALID_ARGUMENTS} (or {@link ReasonCode#POLICY_INPUT_INVALID} outside the arguments): the
 * caller's own denial, not an engine failure, and no instance is rebuilt for it.
 *
 * <p>Bounded memory: an input document whose JSON is larger than {@link Builder#maxInputBytes(int)} (1 MiB by
 * default) is denied with {@link ReasonCode#POLICY_INPUT_TOO_LARGE} before any policy instance is
 * touched, and an instance whose evaluation failed (a trap such as running out of wasm memory, or an abort) is
 * dropped and replaced by a fresh one, because wasm memory never shrinks and a failed module's state is not
 * trusted.
 *
 * <p>Bounded time: every evaluation has a deadline ({@link Builder#evaluationDeadline(Duration)}, 1 second by
 * default). An evaluation still running at its deadline (a policy with a huge comprehension, a loop in the module's
 * runtime) is interrupted by a watchdog thread of this engine ({@link EvaluationDeadline}) and denied with
 * {@link ReasonCode#POLICY_ERROR}; its instance is dropped and replaced by a fresh one, so hanging calls cannot
 * exhaust the pool. An interrupt of the calling thread is honoured: the call is denied and the thread stays
 * interrupted.
 *
 * <p>Compiled patterns: {@code regex.match}, {@code glob.match} and {@code regex.find_all_string_submatch_n} keep
 * their compiled patterns per policy instance from one evaluation to the next, where OPA's wasm SDKs compile every
 * pattern again in every evaluation; every evaluation starts from the same snapshot of the instance's memory, so
 * no input changes the decision on another (bounded per instance; docs/policy.md, "Compiled patterns").
 *
 * <pre>{@code
 * OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder()
 *         .bundleSource(BundleSource.file(Path.of("/etc/mcp/policy/bundle.tar.gz")))
 *         .verification(BundleVerification.publicKey(Files.readString(Path.of("/etc/mcp/policy/bundle-pub.pem"))))
 *         .environment(Map.of("name", "prod"))
 *         .build();
 * engine.startPolling(Duration.ofSeconds(30)); // loads now, then checks for a new bundle every 30 s
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops polling, releases the policy instances and ends the watchdog thread.
 */
public final class OpaWasmPolicyEngine implements PolicyEngine, ToolListEvaluation, AutoCloseable {

    /** The default entrypoint: the rule {@code decision} in package {@code mcp.authz}. */
    public static final String DEFAULT_ENTRYPOINT = "mcp/authz/decision";
    /**
     * The name under which decision logs ({@code dev.mcpguard.core.policy.decisionlog}) report the loaded bundle's
     * revision: {@code "bundles": {"mcp-guard": {"revision": "..."}}} (OPA names a bundle after its configuration
     * key or its path; the embedded engine has one bundle and no such name).
     */
    public static final String DECISION_LOG_BUNDLE_NAME = "mcp-guard";
    /** The default list entrypoint: the rule {@code visible_tools} in package {@code mcp.authz}. */
    public static final String DEFAULT_VISIBLE_TOOLS_ENTRYPOINT = "mcp/authz/visible_tools";

    private static final Logger log = LoggerFactory.getLogger(OpaWasmPolicyEngine.class);
    private static final String NOT_LOADED_MESSAGE = "No policy is loaded yet; the call is denied.";
    private static final String ERROR_MESSAGE = "The policy could not be evaluated; the call is denied.";
    private static final String BUSY_MESSAGE = "The policy engine is overloaded; the call is denied.";
    private static final String DEADLINE_MESSAGE = "The policy took too long to evaluate; the call is denied.";
    /** The smoke test's first evaluations run on freshly compiled instances: at least this long for each. */
    private static final Duration SMOKE_TEST_DEADLINE = Duration.ofSeconds(10);
    /** The default {@link Builder#evaluationDeadline(Duration)}. */
    private static final Duration DEFAULT_EVALUATION_DEADLINE = Duration.ofSeconds(1);
    private static final int WASM_PAGE_BYTES = 64 * 1024;
    /** The default {@link Builder#warmUp(Duration)}. */
    static final Duration DEFAULT_WARM_UP = Duration.ofSeconds(2);
    /** The default {@link Builder#warmUpEvaluations(int)}. */
    static final int DEFAULT_WARM_UP_EVALUATIONS = 20_000;

    /** The outcome of one poll. */
    public enum LoadOutcome {
        /** A new bundle was verified and is now serving decisions. */
        LOADED,
        /** The source reported no change; the current bundle keeps serving. */
        UNCHANGED,
        /** Fetching or loading failed; the last good bundle (if any) keeps serving. See {@link #lastLoadError()}. */
        REJECTED
    }

    /** A bundle and its ready pool, published together so a decision never mixes two bundles. */
    private record Loaded(OpaBundle bundle, WasmPolicyPool pool, boolean listsAtOnce) {
    }

    /** An evaluation ran past its deadline and was interrupted; its instance was replaced. */
    private static final class DeadlineExceededException extends Exception {
        DeadlineExceededException(Duration deadline) {
            super("policy evaluation exceeded its deadline of " + deadline, null, false, false);
        }
    }

    private final BundleSource source;
    private final BundleVerification verification;
    private final BundleLimits limits;
    private final String entrypoint;
    private final String visibleToolsEntrypoint;
    private final int poolSize;
    private final Clock clock;
    private final int maxMemoryPages;
    private final Duration borrowTimeout;
    private final int maxInputBytes;
    private final Set<String> acceptedDivergent;
    private final Duration evaluationDeadline;
    private final Duration smokeTestDeadline;
    private final Duration warmUp;
    private final int warmUpEvaluations;
    private final List<PolicyRequest> warmUpRequests;
    /** Evaluations the last successful load's warm-up ran (written under {@link #loadLock}). */
    private volatile int lastWarmUpEvaluations;
    private final EvaluationDeadline watchdog = new EvaluationDeadline();
    private final ObjectMapper mapper = new ObjectMapper();
    /**
     * Input and data go to the module as UTF-8, not {@code \\u}-escaped: the module's JSON parser decodes an escaped
     * surrogate pair wrongly (U+20000 becomes U+10000). Lone surrogates are U+FFFD by then, as OPA reads them.
     */
    /**
     * Writes a character beyond the BMP as its four UTF-8 bytes: by default Jackson's byte output escapes it as a
     * surrogate pair, which the module's JSON parser decodes 0x10000 too low from U+20000 on.
     */
    private final ObjectWriter utf8Writer = mapper.writer()
            .with(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8);
    private final PolicyInputDocument inputDocument;
    private final PolicyResultReader resultReader = new PolicyResultReader(mapper);
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final AtomicReference<String> lastLoadError = new AtomicReference<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final Object loadLock = new Object();
    private ScheduledExecutorService poller;
    private volatile boolean closed;

    private OpaWasmPolicyEngine(Builder builder) {
        this.source = builder.source;
        this.verification = builder.verification;
        this.limits = builder.limits;
        this.entrypoint = builder.entrypoint;
        this.visibleToolsEntrypoint = builder.visibleToolsEntrypoint;
        this.poolSize = builder.poolSize;
        this.clock = builder.clock;
        this.maxMemoryPages = builder.maxMemoryPages;
        this.borrowTimeout = builder.borrowTimeout;
        this.maxInputBytes = builder.maxInputBytes;
        this.acceptedDivergent = builder.acceptedDivergent;
        this.evaluationDeadline = builder.evaluationDeadline;
        this.smokeTestDeadline = SMOKE_TEST_DEADLINE.compareTo(evaluationDeadline) > 0
                ? SMOKE_TEST_DEADLINE : evaluationDeadline;
        this.warmUp = builder.warmUp;
        this.warmUpEvaluations = builder.warmUpEvaluations;
        this.warmUpRequests = builder.warmUpRequests;
        this.inputDocument = new PolicyInputDocument(mapper, builder.environment);
        if (!verification.required()) {
            log.warn("OPA bundle signature verification is OFF for {}: any bundle from this source will be "
                    + "trusted. Configure BundleVerification.publicKey(...) in production.", source.describe());
        }
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Decision decide(PolicyRequest request) {
        String decisionId = request.decisionId();
        Loaded loaded = current.get();
        if (loaded == null) {
            return new Decision.Deny(decisionId, ReasonCode.POLICY_NOT_LOADED, NOT_LOADED_MESSAGE);
        }
        Optional<String> revision = Optional.of(loaded.bundle().revision());
        try {
            byte[] input;
            ObjectNode document = inputDocument.build(request);
            try {
                // The limit bounds the UTF-8 bytes handed to the module; they go to it as they are.
                input = BoundedJsonEncoder.encode(utf8Writer, document, maxInputBytes);
            } catch (BoundedJsonEncoder.TooLargeException tooLarge) {
                log.warn("Policy input for decision {} (tool {}) is over {} bytes; denying without evaluating",
                        decisionId, request.tool().name(), maxInputBytes);
                return new Decision.Deny(decisionId, ReasonCode.POLICY_INPUT_TOO_LARGE,
                        PolicyInputDocument.INPUT_TOO_LARGE_MESSAGE, revision);
            }
            // Input no engine can take (a non-finite number) is this call's denial, decided here: never an engine
            // failure, never an instance rebuilt. (Lone surrogates were already decoded as U+FFFD, as OPA does.)
            Optional<Decision> unrepresentable = PolicyInputDocument.denyIfUnrepresentable(document, request,
                    revision, log);
            if (unrepresentable.isPresent()) {
                return unrepresentable.get();
            }
            while (true) {
                revision = Optional.of(loaded.bundle().revision());
                try {
                    PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.current();
                    long started = recording == null ? 0 : System.nanoTime();
                    String result = evaluate(loaded.pool(), input, evaluationDeadline);
                    if (result == null) {
                        log.warn("No policy instance free within {} for decision {}; denying", borrowTimeout, decisionId);
                        return new Decision.Deny(decisionId, ReasonCode.POLICY_ERROR, BUSY_MESSAGE, revision);
                    }
                    JsonNode value = resultValue(result);
                    if (recording != null) {
                        // The wasm evaluation, instance borrowing included: what OPA's own timer of a query covers.
                        recording.evaluated(new PolicyEvaluationRecorder.Evaluation(entrypoint, document,
                                value.isMissingNode() ? Optional.empty() : Optional.of(value),
                                Map.of(DECISION_LOG_BUNDLE_NAME, loaded.bundle().revision()),
                                Map.of("timer_rego_query_eval_ns", System.nanoTime() - started)));
                    }
                    return resultReader.read(value, decisionId, revision);
                } catch (WasmPolicyPool.RetiredException swapped) {
                    // A new bundle was published while this call waited: decide on the new one.
                    Loaded next = current.get();
                    if (next == null || next == loaded) {
                        return new Decision.Deny(decisionId, ReasonCode.POLICY_NOT_LOADED, NOT_LOADED_MESSAGE);
                    }
                    loaded = next;
                }
            }
        } catch (DeadlineExceededException e) {
            log.warn("Policy evaluation for decision {} (tool {}, bundle revision {}) was still running after its "
                    + "deadline of {}; interrupted and denied, its policy instance replaced", decisionId,
                    request.tool().name(), revision.orElse("?"), evaluationDeadline);
            return new Decision.Deny(decisionId, ReasonCode.POLICY_ERROR, DEADLINE_MESSAGE, revision);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Decision.Deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, revision);
        } catch (RuntimeException | IOException | StackOverflowError e) {
            log.error("Policy evaluation failed for decision {} (bundle revision {}); denying",
                    decisionId, revision.orElse("?"), e);
            return new Decision.Deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, revision);
        }
    }

    /**
     * The visible tools in one evaluation of the list entrypoint when the loaded bundle has it, else asked per tool
     * ({@link PolicyEngine#visibleTools}'s default). Never throws; nothing is visible while no bundle is loaded or
     * on any error.
     */
    @Override
    public Set<String> visibleTools(ToolListRequest request) {
        if (current.get() == null) {
            return Set.of();
        }
        return evaluateToolList(request).map(Answer::visible)
                .orElseGet(() -> PolicyEngine.super.visibleTools(request));
    }

    /** {@inheritDoc} Empty while the bundle now loaded has no list entrypoint (or none is loaded). */
    @Override
    public Optional<Answer> evaluateToolList(ToolListRequest request) {
        String decisionId = request.decisionId();
        Loaded loaded = current.get();
        if (loaded == null) {
            return Optional.of(Answer.nothing(Optional.empty()));
        }
        if (!loaded.listsAtOnce()) {
            return Optional.empty();
        }
        String revision = loaded.bundle().revision();
        try {
            ObjectNode document = inputDocument.buildList(request);
            byte[] input;
            try {
                input = BoundedJsonEncoder.encode(utf8Writer, document, maxInputBytes);
            } catch (BoundedJsonEncoder.TooLargeException tooLarge) {
                log.warn("tools/list input for decision {} ({} tools) is over {} bytes; showing no tool",
                        decisionId, request.tools().size(), maxInputBytes);
                return Optional.of(Answer.nothing(Optional.of(revision)));
            }
            if (UnrepresentableInput.find(document).isPresent()) {
                log.debug("tools/list input for decision {} holds a value no engine can take; showing no tool",
                        decisionId);
                return Optional.of(Answer.nothing(Optional.of(revision)));
            }
            while (true) {
                revision = loaded.bundle().revision();
                try {
                    String result = evaluateList(loaded.pool(), input, evaluationDeadline);
                    if (result == null) {
                        log.warn("No policy instance free within {} for tools/list decision {}; showing no tool",
                                borrowTimeout, decisionId);
                        return Optional.of(Answer.failure());
                    }
                    Answer answer = VisibleToolsResultReader.read(resultValue(result), request.tools(),
                            Optional.of(revision));
                    if (answer.failed()) {
                        log.warn("Entrypoint {} of bundle revision {} returned a value that is not an array of tool "
                                + "names for decision {}; showing no tool", visibleToolsEntrypoint, revision, decisionId);
                    }
                    return Optional.of(answer);
                } catch (WasmPolicyPool.RetiredException swapped) {
                    Loaded next = current.get();
                    if (next == null || next == loaded) {
                        return Optional.of(Answer.nothing(Optional.empty()));
                    }
                    loaded = next;
                    if (!loaded.listsAtOnce()) {
                        return Optional.empty();
                    }
                }
            }
        } catch (DeadlineExceededException e) {
            log.warn("tools/list evaluation for decision {} (bundle revision {}) was still running after its deadline "
                    + "of {}; interrupted, showing no tool, its policy instance replaced", decisionId, revision,
                    evaluationDeadline);
            return Optional.of(Answer.failure());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(Answer.failure());
        } catch (RuntimeException | IOException | StackOverflowError e) {
            log.error("tools/list evaluation failed for decision {} (bundle revision {}); showing no tool",
                    decisionId, revision, e);
            return Optional.of(Answer.failure());
        }
    }

    /**
     * Evaluates the entrypoint of the loaded bundle on any input document, as {@link #decide} does but without
     * the decision vocabulary: for differential tests of builtins. Empty when the entrypoint is undefined.
     *
     * @throws IllegalStateException when no bundle is loaded, no instance is free, or evaluation fails or runs past
     *         its deadline
     */
    Optional<JsonNode> evaluateDocument(JsonNode input) throws IOException, InterruptedException {
        Loaded loaded = current.get();
        if (loaded == null) {
            throw new IllegalStateException("no bundle is loaded");
        }
        try {
            JsonNode decoded = input.deepCopy();
            LoneSurrogates.replaceIn(decoded);
            String result = evaluate(loaded.pool(), utf8Writer.writeValueAsBytes(decoded), evaluationDeadline);
            if (result == null) {
                throw new IllegalStateException("no policy instance free within " + borrowTimeout);
            }
            JsonNode value = resultValue(result);
            return value.isMissingNode() ? Optional.empty() : Optional.of(value);
        } catch (WasmPolicyPool.RetiredException e) {
            throw new IllegalStateException("the bundle was replaced during evaluation", e);
        } catch (DeadlineExceededException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Evaluates on one instance of {@code pool}, for at most {@code deadline}; null when none was free in time.
     * An evaluation during which the deadline passed or the calling thread was interrupted is never used, even
     * if it returned (an interrupt may have stopped a call inside the module half-way), and its instance is
     * replaced.
     *
     * @throws DeadlineExceededException when the evaluation reached its deadline
     * @throws InterruptedException when the calling thread was interrupted
     */
    private String evaluate(WasmPolicyPool pool, byte[] input, Duration deadline)
            throws InterruptedException, WasmPolicyPool.RetiredException, DeadlineExceededException {
        return evaluate(pool, input, deadline, false);
    }

    /** As {@link #evaluate(WasmPolicyPool, String, Duration)}, on the list entrypoint. */
    private String evaluateList(WasmPolicyPool pool, byte[] input, Duration deadline)
            throws InterruptedException, WasmPolicyPool.RetiredException, DeadlineExceededException {
        return evaluate(pool, input, deadline, true);
    }

    private String evaluate(WasmPolicyPool pool, byte[] input, Duration deadline, boolean list)
            throws InterruptedException, WasmPolicyPool.RetiredException, DeadlineExceededException {
        WasmPolicyPool.Instance instance = pool.borrow(borrowTimeout);
        if (instance == null) {
            return null;
        }
        boolean healthy = false;
        try {
            Instant now = clock.instant();
            // OPA semantics: time.now_ns is the same for the whole evaluation, and so is uuid.rfc4122 of one key.
            instance.nowNs = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
            instance.cache.clear();
            EvaluationDeadline.Watch watch = watchdog.start(deadline);
            String result;
            try {
                result = list ? instance.policy.evaluateList(input) : instance.policy.evaluate(input);
            } catch (RuntimeException | StackOverflowError failed) {
                endWatch(watch, deadline, failed); // ChicoryInterruptedException: the module stopped at an interrupt
                throw failed;
            } finally {
                watch.stop();
            }
            endWatch(watch, deadline, null);
            healthy = true;
            return result;
        } finally {
            instance.cache.clear();
            // After a trap or abort the instance is replaced, never reused: its memory may have grown to the
            // maximum (wasm memory never shrinks) and the module's state after a failure is not trusted.
            if (healthy) {
                pool.release(instance);
            } else {
                pool.discard(instance);
            }
        }
    }

    /**
     * Ends the watch of an evaluation; from here on no interrupt of the watchdog reaches this thread.
     *
     * @throws InterruptedException when the calling thread was interrupted (the caller's own interrupt, honoured;
     *         the flag is set again by whoever handles it, after the instance is replaced: a module being set up
     *         would stop at it)
     * @throws DeadlineExceededException when the deadline passed
     */
    private static void endWatch(EvaluationDeadline.Watch watch, Duration deadline, Throwable failed)
            throws InterruptedException, DeadlineExceededException {
        boolean expired = watch.stop();
        if (Thread.interrupted()) {
            InterruptedException interrupted = new InterruptedException("interrupted during policy evaluation");
            interrupted.initCause(failed);
            throw interrupted;
        }
        if (expired) {
            throw new DeadlineExceededException(deadline);
        }
    }

    /** The module answers {@code [{"result": value}]}, or {@code []} when the entrypoint is undefined. */
    private JsonNode resultValue(String result) throws JsonProcessingException {
        JsonNode results = mapper.readTree(result);
        if (results == null || !results.isArray()) {
            throw new IllegalStateException("policy module returned a non-array result set");
        }
        if (results.isEmpty()) {
            return MissingNode.getInstance();
        }
        if (results.size() > 1) {
            throw new IllegalStateException("policy module returned " + results.size() + " results, expected one");
        }
        return results.get(0).path("result");
    }

    /**
     * Fetches the bundle if it changed and loads it. Never throws: failures are logged, recorded in
     * {@link #lastLoadError()} and leave the current bundle serving.
     */
    public LoadOutcome pollNow() {
        synchronized (loadLock) {
            if (closed) {
                return LoadOutcome.REJECTED;
            }
            Optional<byte[]> fetched;
            try {
                fetched = source.fetchIfChanged();
            } catch (BundleException e) {
                return rejected(e.getMessage(), e);
            } catch (RuntimeException e) {
                return rejected("fetching the bundle failed: " + e.getClass().getSimpleName(), e);
            }
            if (fetched.isEmpty()) {
                return LoadOutcome.UNCHANGED;
            }
            try {
                load(OpaBundle.read(fetched.get(), verification, limits));
            } catch (BundleException e) {
                return rejected(e.getMessage(), e);
            }
            try {
                source.accepted();
            } catch (RuntimeException e) {
                log.error("Bundle source {} failed to record the accepted bundle", source.describe(), e);
            }
            return LoadOutcome.LOADED;
        }
    }

    /**
     * Loads an already-read bundle (for bundles obtained some other way). It must satisfy this engine's
     * verification: an unsigned bundle is refused when verification is required.
     *
     * @throws BundleException when the bundle cannot serve decisions; the current bundle keeps serving
     */
    public void load(OpaBundle bundle) throws BundleException {
        Objects.requireNonNull(bundle, "bundle");
        synchronized (loadLock) {
            if (closed) {
                throw new BundleException("the engine is closed");
            }
            try {
                if (verification.required() && !bundle.signed()) {
                    throw new BundleException("bundle " + bundle.revision()
                            + " was read without signature verification, which this engine requires");
                }
                WasmPolicyPool pool = prepare(bundle);
                boolean listsAtOnce = pool.listsAtOnce();
                Loaded previous = current.getAndSet(new Loaded(bundle, pool, listsAtOnce));
                if (previous != null) {
                    previous.pool().close();
                }
                lastLoadError.set(null);
                log.info("Loaded OPA bundle revision {} from {} (signed: {}, {} policy instances)",
                        bundle.revision(), source.describe(), bundle.signed(), poolSize);
                if (listsAtOnce) {
                    log.info("tools/list: one evaluation of entrypoint {} per list (bundle revision {})",
                            visibleToolsEntrypoint, bundle.revision());
                } else {
                    log.info("tools/list: one evaluation of {} per tool; bundle revision {} has no entrypoint {}",
                            entrypoint, bundle.revision(), visibleToolsEntrypoint);
                }
            } catch (BundleException e) {
                rejected(e.getMessage(), e);
                throw e;
            }
        }
        for (Consumer<String> listener : listeners) {
            try {
                listener.accept(bundle.revision());
            } catch (RuntimeException e) {
                log.error("A bundle-change listener failed for revision {}", bundle.revision(), e);
            }
        }
    }

    /** Policy instances replaced after a failed evaluation by the pool now serving; 0 when none is loaded. */
    long replacedInstances() {
        Loaded loaded = current.get();
        return loaded == null ? 0 : loaded.pool().replacedInstances();
    }

    /** Idle policy instances of the pool now serving (all of them when no call is in flight); 0 when none is loaded. */
    int idleInstances() {
        Loaded loaded = current.get();
        return loaded == null ? 0 : loaded.pool().idleInstances();
    }

    /** Evaluations the warm-up of the last loaded bundle ran; 0 when it was disabled. */
    int lastWarmUpEvaluations() {
        return lastWarmUpEvaluations;
    }

    /** Deadlines of evaluations in flight (each ended evaluation's is removed at once). */
    int pendingDeadlines() {
        return watchdog.pending();
    }

    /** Whether the engine is closed and its watchdog thread has ended. */
    boolean watchdogTerminated() {
        return watchdog.terminated();
    }

    /** Builds and checks a complete pool for {@code bundle}, or explains why it cannot serve. */
    private WasmPolicyPool prepare(OpaBundle bundle) throws BundleException {
        byte[] original = bundle.policyWasm();
        Map<String, Integer> mapping = WasmBuiltins.mapping(original, mapper);
        Set<String> missing = WasmBuiltins.missing(mapping.keySet());
        if (!missing.isEmpty()) {
            throw new BundleException("bundle " + bundle.revision() + " needs builtin(s) " + missing
                    + " which the embedded engine does not provide (provided: " + new java.util.TreeSet<>(WasmBuiltins.PROVIDED)
                    + "); remove them from the policy or use a remote OPA");
        }
        for (DivergentBuiltins.Divergence divergence : DivergentBuiltins.used(original)) {
            if (!acceptedDivergent.contains(divergence.builtin())) {
                throw new BundleException("bundle " + bundle.revision() + " uses builtin " + divergence.builtin()
                        + ", which OPA's wasm runtime computes differently from opa eval: " + divergence.difference()
                        + "; avoid it, use a remote OPA, or accept it knowingly with acceptDivergentBuiltins");
            }
            log.warn("Bundle {} uses builtin {}, accepted although OPA's wasm runtime differs from opa eval: {}",
                    bundle.revision(), divergence.builtin(), divergence.difference());
        }
        // The divergent builtins the host supplies instead: their runtime functions now call the host.
        byte[] wasm = WasmHostRewrite.rewrite(original, mapping, DivergentBuiltins.REPLACED).wasm();
        String data;
        try {
            JsonNode bundleData = bundle.data().deepCopy();
            LoneSurrogates.replaceIn(bundleData);
            data = utf8Writer.writeValueAsString(bundleData);
        } catch (JsonProcessingException e) {
            throw new BundleException("bundle data cannot be serialised", e);
        }
        WasmPolicyPool pool;
        try {
            pool = new WasmPolicyPool(poolSize, () -> newInstance(wasm, data));
        } catch (IllegalArgumentException e) {
            throw new BundleException("bundle " + bundle.revision() + " has no entrypoint '" + entrypoint + "'", e);
        } catch (RuntimeException | StackOverflowError e) {
            throw new BundleException("bundle " + bundle.revision() + " cannot be instantiated: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }
        smokeTest(bundle, pool);
        return pool;
    }

    private WasmPolicyPool.Instance newInstance(byte[] wasm, String data) {
        BuiltinCache cache = new BuiltinCache();
        return new WasmPolicyPool.Instance(nowNs -> new WasmPolicyInstance(wasm, mapper, maxMemoryPages,
                WasmBuiltins.forInstance(nowNs, cache), entrypoint, visibleToolsEntrypoint, data, true), cache);
    }

    /** Evaluates a synthetic call on every instance, so a module that cannot evaluate never gets published. */
    private void smokeTest(OpaBundle bundle, WasmPolicyPool pool) throws BundleException {
        PolicyRequest probe = new PolicyRequest(Operation.LIST, "bundle-smoke-test",
                CallerIdentity.builder("mcp-guard", "bundle-smoke-test").build(), "mcp-guard",
                ToolDescriptor.named("bundle_smoke_test"), Map.of(), Optional.empty(), clock.instant());
        try {
            byte[] input = utf8Writer.writeValueAsBytes(inputDocument.build(probe));
            boolean lists = pool.listsAtOnce();
            byte[] listInput = lists ? utf8Writer.writeValueAsBytes(inputDocument.buildList(
                    new ToolListRequest(probe.decisionId(), probe.caller(), probe.server(), List.of(probe.tool()),
                            Optional.empty(), probe.time()))) : null;
            for (int i = 0; i < poolSize; i++) {
                String result = evaluate(pool, input, smokeTestDeadline);
                if (result == null) {
                    throw new BundleException("bundle smoke test found no free instance");
                }
                resultValue(result);
                if (lists) {
                    String listed = evaluateList(pool, listInput, smokeTestDeadline);
                    if (listed == null) {
                        throw new BundleException("bundle smoke test found no free instance");
                    }
                    if (VisibleToolsResultReader.read(resultValue(listed), List.of(probe.tool()), Optional.empty())
                            .failed()) {
                        throw new BundleException("bundle " + bundle.revision() + " entrypoint " + visibleToolsEntrypoint
                                + " does not answer an array of tool names");
                    }
                }
            }
            warmUp(bundle, pool, probe, listInput);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BundleException("interrupted while testing bundle " + bundle.revision());
        } catch (WasmPolicyPool.RetiredException e) {
            throw new BundleException("bundle pool was retired during its smoke test");
        } catch (DeadlineExceededException e) {
            throw new BundleException("bundle " + bundle.revision() + " fails to evaluate a test input: "
                    + e.getMessage());
        } catch (RuntimeException | IOException | StackOverflowError e) {
            throw new BundleException("bundle " + bundle.revision() + " fails to evaluate a test input: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }
    }

    /**
     * Decides synthetic calls again and again on the pool's instances (in turn: the pool lends them round-robin)
     * until {@link Builder#warmUpEvaluations(int)} evaluations or the {@link Builder#warmUp(Duration)} budget,
     * whichever comes first, so the JIT compiles the module's generated code and the decision path around it
     * before the bundle serves calls: a fresh instance decides many times slower than a warm one. Each round is
     * the smoke test's {@code list} probe, the same probe as a {@code call}, the list entrypoint when the bundle
     * has one, and each of {@link Builder#warmUpRequests(List)}, each through the path {@link #decide} takes
     * (input document, bounded encoding, evaluation, result reading). A failure is the smoke test's failure:
     * thrown, and the bundle is refused.
     */
    private void warmUp(OpaBundle bundle, WasmPolicyPool pool, PolicyRequest listProbe, byte[] listInput)
            throws InterruptedException, WasmPolicyPool.RetiredException, DeadlineExceededException, IOException,
            BundleException {
        lastWarmUpEvaluations = 0;
        if (warmUp.isZero() || warmUpEvaluations == 0) {
            return;
        }
        PolicyRequest callProbe = new PolicyRequest(Operation.CALL, listProbe.decisionId(), listProbe.caller(),
                listProbe.server(), listProbe.tool(), listProbe.arguments(), listProbe.sessionId(), listProbe.time());
        List<PolicyRequest> probes = new java.util.ArrayList<>(List.of(listProbe, callProbe));
        probes.addAll(warmUpRequests);
        Optional<String> revision = Optional.of(bundle.revision());
        long start = System.nanoTime();
        long end = start + warmUp.toNanos();
        int evaluations = 0;
        while (evaluations < warmUpEvaluations && end - System.nanoTime() > 0) {
            int turn = evaluations % (probes.size() + (listInput == null ? 0 : 1));
            String result;
            if (turn < probes.size()) {
                PolicyRequest probe = probes.get(turn);
                byte[] input = BoundedJsonEncoder.encode(utf8Writer, inputDocument.build(probe), maxInputBytes);
                result = evaluate(pool, input, smokeTestDeadline);
                if (result != null) {
                    resultReader.read(resultValue(result), probe.decisionId(), revision);
                }
            } else {
                result = evaluateList(pool, listInput, smokeTestDeadline);
                if (result != null) {
                    resultValue(result);
                }
            }
            if (result == null) {
                throw new BundleException("bundle warm-up found no free instance");
            }
            evaluations++;
        }
        lastWarmUpEvaluations = evaluations;
        log.info("Warmed up OPA bundle revision {}: {} evaluations on {} policy instances in {} ms (at most {} "
                + "evaluations or {} ms; {} typical requests)", bundle.revision(), evaluations, poolSize,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), warmUpEvaluations, warmUp.toMillis(),
                warmUpRequests.size());
    }

    private LoadOutcome rejected(String reason, Exception cause) {
        lastLoadError.set(reason);
        Loaded serving = current.get();
        log.warn("Rejected OPA bundle from {}: {}. Still serving {}", source.describe(), reason,
                serving == null ? "no bundle (every call is denied)" : "revision " + serving.bundle().revision());
        log.debug("Bundle rejection detail", cause);
        return LoadOutcome.REJECTED;
    }

    /**
     * Loads now, then polls every {@code interval} on a daemon thread this engine owns. Call once.
     *
     * @return the outcome of the first load
     */
    public LoadOutcome startPolling(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        synchronized (loadLock) {
            if (poller != null) {
                throw new IllegalStateException("polling is already started");
            }
            if (closed) {
                throw new IllegalStateException("the engine is closed");
            }
            poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "mcp-guard-opa-bundle-poller");
                thread.setDaemon(true);
                return thread;
            });
        }
        LoadOutcome first = pollNow();
        poller.scheduleWithFixedDelay(() -> {
            try {
                pollNow();
            } catch (RuntimeException e) {
                log.error("Bundle poll failed unexpectedly", e);
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return first;
    }

    /** Adds a listener called with the new revision after each successful load (on the loading thread). */
    public void onBundleChange(Consumer<String> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The revision serving decisions, if a bundle is loaded. */
    public Optional<String> currentRevision() {
        Loaded loaded = current.get();
        return loaded == null ? Optional.empty() : Optional.of(loaded.bundle().revision());
    }

    /** Why the last fetch or load failed; empty after a successful load or before any failure. */
    public Optional<String> lastLoadError() {
        return Optional.ofNullable(lastLoadError.get());
    }

    /**
     * Stops polling and drops the policy instances; afterwards every decision is a deny. An evaluation still in
     * flight keeps its deadline.
     */
    @Override
    public void close() {
        synchronized (loadLock) {
            closed = true;
            if (poller != null) {
                poller.shutdownNow();
            }
            Loaded previous = current.getAndSet(null);
            if (previous != null) {
                previous.pool().close();
            }
            watchdog.close();
        }
    }

    /** Builds an {@link OpaWasmPolicyEngine}; setters reject bad values. Not thread-safe. */
    public static final class Builder {
        private BundleSource source;
        private BundleVerification verification;
        private BundleLimits limits = BundleLimits.DEFAULTS;
        private String entrypoint = DEFAULT_ENTRYPOINT;
        private String visibleToolsEntrypoint = DEFAULT_VISIBLE_TOOLS_ENTRYPOINT;
        private int poolSize = Runtime.getRuntime().availableProcessors();
        private Map<String, Object> environment = Map.of();
        private Clock clock = Clock.systemUTC();
        private int maxMemoryPages = 256 * (1 << 20) / WASM_PAGE_BYTES;
        private Duration borrowTimeout = Duration.ofSeconds(1);
        private Duration evaluationDeadline = DEFAULT_EVALUATION_DEADLINE;
        private int maxInputBytes = PolicyInputDocument.DEFAULT_MAX_INPUT_BYTES;
        private Set<String> acceptedDivergent = Set.of();
        private Duration warmUp = DEFAULT_WARM_UP;
        private int warmUpEvaluations = DEFAULT_WARM_UP_EVALUATIONS;
        private List<PolicyRequest> warmUpRequests = List.of();

        private Builder() {
        }

        /** Where the bundle comes from. Required. */
        public Builder bundleSource(BundleSource source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /** How bundles are authenticated. Required: {@link BundleVerification#publicKey} or, knowingly, {@link BundleVerification#insecureUnsigned}. */
        public Builder verification(BundleVerification verification) {
            this.verification = Objects.requireNonNull(verification, "verification");
            return this;
        }

        /** Size limits for bundles; default {@link BundleLimits#DEFAULTS}. */
        public Builder limits(BundleLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The rule to evaluate, as a path ({@code mcp/authz/decision}, the default). */
        public Builder entrypoint(String entrypoint) {
            Objects.requireNonNull(entrypoint, "entrypoint");
            if (!entrypoint.matches("[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")) {
                throw new IllegalArgumentException("entrypoint must be a slash-separated rule path like "
                        + "mcp/authz/decision, got '" + entrypoint + "'");
            }
            this.entrypoint = entrypoint;
            return this;
        }

        /**
         * The rule that answers {@code tools/list} in one evaluation ({@code mcp/authz/visible_tools}, the
         * default): the names of the visible tools among {@code input.tools} (docs/policy.md, "Operation list").
         * A bundle without it is asked once per tool with {@link #entrypoint}.
         */
        public Builder visibleToolsEntrypoint(String entrypoint) {
            Objects.requireNonNull(entrypoint, "entrypoint");
            if (!entrypoint.matches("[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")) {
                throw new IllegalArgumentException("visibleToolsEntrypoint must be a slash-separated rule path like "
                        + "mcp/authz/visible_tools, got '" + entrypoint + "'");
            }
            this.visibleToolsEntrypoint = entrypoint;
            return this;
        }

        /** Number of policy instances, i.e. concurrent evaluations; default the number of processors. */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 1024) {
                throw new IllegalArgumentException("poolSize must be between 1 and 1024, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** Deployment facts every input carries under {@code environment}; default empty. */
        public Builder environment(Map<String, Object> environment) {
            this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
            return this;
        }

        /** The clock behind the {@code time.now_ns} builtin; default the UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Most memory one policy instance may use, in MiB; default 256. */
        public Builder maxWasmMemoryMiB(int mebibytes) {
            if (mebibytes < 1 || mebibytes > 4096) {
                throw new IllegalArgumentException("maxWasmMemoryMiB must be between 1 and 4096, got " + mebibytes);
            }
            this.maxMemoryPages = (int) ((long) mebibytes * (1 << 20) / WASM_PAGE_BYTES);
            return this;
        }

        /** How long a call waits for a free policy instance before it is denied; default 1 second. */
        public Builder borrowTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("borrowTimeout must be positive, got " + timeout);
            }
            this.borrowTimeout = timeout;
            return this;
        }

        /**
         * How long one evaluation may run; default 1 second, 1 ms to 10 minutes. An evaluation still running then
         * (a policy with a huge comprehension, a loop in the module's runtime) is interrupted and the call denied
         * with {@link ReasonCode#POLICY_ERROR}; its policy instance is replaced by a fresh one. Policies decide in
         * micro- to milliseconds: the deadline only separates a hang from an answer. The smoke test of a new bundle
         * (its first evaluations, on freshly compiled instances) gets at least 10 seconds.
         */
        public Builder evaluationDeadline(Duration deadline) {
            Objects.requireNonNull(deadline, "deadline");
            if (deadline.compareTo(Duration.ofMillis(1)) < 0 || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("evaluationDeadline must be between 1 ms and 10 minutes, got "
                        + deadline);
            }
            this.evaluationDeadline = deadline;
            return this;
        }

        /**
         * Largest input document (serialised JSON, non-ASCII escaped) the policy is evaluated on; a larger one,
         * typically huge tool arguments, is denied with {@link ReasonCode#POLICY_INPUT_TOO_LARGE}
         * without touching a policy instance. Default 1 MiB; 1 KiB to 64 MiB. Keep it well under
         * {@link #maxWasmMemoryMiB(int)}: the module parses the input into its own memory.
         */
        public Builder maxInputBytes(int maxInputBytes) {
            this.maxInputBytes = PolicyInputDocument.checkedMaxInputBytes(maxInputBytes);
            return this;
        }

        /**
         * How long each new bundle may be warmed up before it serves calls; default 2 seconds, at most 1 minute,
         * {@link Duration#ZERO} for no warm-up. After its smoke test the bundle's policy instances evaluate the
         * smoke inputs again (at most {@link #warmUpEvaluations(int)} times, or until this budget is spent,
         * whichever comes first), so the JIT compiles the policy module's code before the first real call: on a
         * fresh JVM an unwarmed instance decides tens of times slower for the first seconds of traffic. Loading
         * ({@link #pollNow()}, {@link #load}) returns only afterwards; a warm-up evaluation that fails refuses
         * the bundle, as the smoke test does. Logged at INFO with the evaluations run and the time taken.
         */
        public Builder warmUp(Duration budget) {
            Objects.requireNonNull(budget, "budget");
            if (budget.isNegative() || budget.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("warmUp must be between 0 and 1 minute, got " + budget);
            }
            this.warmUp = budget;
            return this;
        }

        /**
         * Most evaluations of a bundle's warm-up ({@link #warmUp(Duration)}), over all its policy instances;
         * default {@value OpaWasmPolicyEngine#DEFAULT_WARM_UP_EVALUATIONS}, 0 (no warm-up) to 1,000,000.
         */
        public Builder warmUpEvaluations(int evaluations) {
            if (evaluations < 0 || evaluations > 1_000_000) {
                throw new IllegalArgumentException("warmUpEvaluations must be between 0 and 1000000, got "
                        + evaluations);
            }
            this.warmUpEvaluations = evaluations;
            return this;
        }

        /**
         * Typical calls to decide during {@link #warmUp(Duration)}, besides the engine's synthetic probes (a
         * caller without roles or scopes calling and listing a tool no policy knows); default none. The JIT
         * compiles what the warm-up runs: a policy's rules for real calls (tenant checks, argument checks, the
         * builtins they use) are only warm when calls like them were decided, so listing one request per common
         * kind of call (for example a read by an ordinary user) makes the first real calls fast too. Their
         * decisions are discarded; an evaluation failure refuses the bundle. At most 100.
         */
        public Builder warmUpRequests(List<PolicyRequest> requests) {
            Objects.requireNonNull(requests, "requests");
            if (requests.size() > 100) {
                throw new IllegalArgumentException("warmUpRequests takes at most 100 requests, got " + requests.size());
            }
            this.warmUpRequests = List.copyOf(requests);
            return this;
        }

        /**
         * Natively compiled builtins to accept although OPA's wasm runtime decides differently from
         * {@code opa eval} on some inputs ({@code json.marshal}, {@code json.unmarshal}, {@code json.is_valid},
         * {@code base64.decode}, {@code base64.is_valid}, {@code net.cidr_contains}, {@code net.cidr_intersects},
         * {@code format_int}, {@code ceil}, {@code floor}; see docs/policy.md). Default
         * none: a bundle using one is refused at load, naming it. An accepted one is logged at each load.
         *
         * @throws IllegalArgumentException for a name that is not a known divergent builtin
         */
        public Builder acceptDivergentBuiltins(Set<String> builtins) {
            for (String name : builtins) {
                if (!DivergentBuiltins.NAMES.contains(name)) {
                    throw new IllegalArgumentException("not a divergent builtin: " + name + " (known: "
                            + DivergentBuiltins.NAMES.stream().sorted().toList() + ")");
                }
            }
            this.acceptedDivergent = Set.copyOf(builtins);
            return this;
        }

        /** Builds the engine; it denies every call until its first successful {@link #pollNow()}. */
        public OpaWasmPolicyEngine build() {
            if (source == null) {
                throw new IllegalStateException("bundleSource is required");
            }
            if (verification == null) {
                throw new IllegalStateException("verification is required: BundleVerification.publicKey(pem) "
                        + "for signed bundles, or BundleVerification.insecureUnsigned() to knowingly accept unsigned ones");
            }
            return new OpaWasmPolicyEngine(this);
        }
    }
}
