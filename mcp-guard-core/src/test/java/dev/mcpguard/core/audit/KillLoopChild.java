package dev.mcpguard.core.audit;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.SignatureConfig;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import dev.mcpguard.core.testing.Callers;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * The process {@link JsonlFileAuditSinkKillTest} kills: a real {@link McpGuard} (allow-all policy, a configured
 * caller, a {@link JsonlFileAuditSink} on the given file) whose guarded tool is called by {@value #THREADS} threads
 * in a loop, through the guard's whole chain (the stateless tool handler the guard wraps, no HTTP: a JVM start per
 * run is the cost that matters). Each call carries a unique number in the raw-recorded argument {@code n}; the
 * process prints {@code ACK <n>} on stdout only after the guarded call returned its result, so an ack stands for
 * "the client got the result".
 *
 * <p>Arguments: {@code DURABLE|ASYNC FILE FIRST_NUMBER [QUEUE_CAPACITY MAX_BATCH]}; the system property
 * {@value #SIGNING_KEYSET_PROPERTY} names a cleartext Tink private keyset (JSON) that signs the chain's checkpoints.
 * Runs until killed; exits 3 if a guarded call did not succeed (the parent then fails with this process's stderr).
 */
final class KillLoopChild {

    static final int THREADS = 8;
    /** The argument recorded raw, so the parent can find each call's record. */
    static final String NUMBER_FIELD = "n";
    static final String TOOL = "kill_loop_echo";
    static final String ACK = "ACK ";
    /**
     * Set only for the training run that records the class-data archive the killed runs start from: the process
     * then exits normally after this many acks (the archive is written at a normal exit).
     */
    static final String EXIT_AFTER_ACKS_PROPERTY = "mcp.guard.killLoop.exitAfterAcks";
    /** The private keyset (cleartext Tink JSON, a test key) that signs the checkpoints. */
    static final String SIGNING_KEYSET_PROPERTY = "mcp.guard.killLoop.signingKeyset";
    /** Checkpoints this often, so that the loop's runs cross checkpoints and the verifier checks signatures. */
    static final int CHECKPOINT_EVERY_RECORDS = 50;

    private KillLoopChild() {
    }

    public static void main(String[] args) throws IOException, GeneralSecurityException {
        JsonlFileAuditSink.Mode mode = JsonlFileAuditSink.Mode.valueOf(args[0]);
        JsonlFileAuditSink.Builder sinkBuilder = JsonlFileAuditSink.builder(Path.of(args[1])).mode(mode);
        AtomicLong next = new AtomicLong(Long.parseLong(args[2]));
        if (mode == JsonlFileAuditSink.Mode.ASYNC) {
            sinkBuilder.queueCapacity(Integer.parseInt(args[3])).maxBatchSize(Integer.parseInt(args[4]));
        }
        String keyset = System.getProperty(SIGNING_KEYSET_PROPERTY);
        if (keyset != null) {
            SignatureConfig.register();
            sinkBuilder.signer(TinkJsonProtoKeysetFormat.parseKeyset(
                    Files.readString(Path.of(keyset)), InsecureSecretKeyAccess.get()));
        }
        JsonlFileAuditSink sink = sinkBuilder.checkpointEveryRecords(CHECKPOINT_EVERY_RECORDS).build();
        byte[] key = new byte[ArgumentSummarizer.MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        McpGuard guard = McpGuard.builder().serverName("kill-loop")
                .policyEngine(new InsecureAllowAllPolicyEngine())
                .argumentSummarizer(ArgumentSummarizer.builder(Secret.ofBytes(key))
                        .rawFields(Set.of(NUMBER_FIELD)).build())
                .auditSink(sink)
                .build();
        McpSchema.Tool tool = McpSchema.Tool.builder().name(TOOL).description("echoes n")
                .inputSchema(Map.of("type", "object")).build();
        BiFunction<McpTransportContext, CallToolRequest, CallToolResult> handler = guard.guard(
                McpStatelessServerFeatures.SyncToolSpecification.builder().tool(tool)
                        .callHandler((context, request) -> CallToolResult.builder()
                                .addTextContent("ok " + request.arguments().get(NUMBER_FIELD)).build())
                        .build()).callHandler();
        McpTransportContext context = McpTransportContext.create(
                Map.of(GuardRequestAttributes.CALLER, Callers.user("kill-loop", "acme")));
        long exitAfterAcks = Long.getLong(EXIT_AFTER_ACKS_PROPERTY, Long.MAX_VALUE);
        Acks acks = new Acks(exitAfterAcks);
        for (int t = 0; t < THREADS; t++) {
            Thread caller = new Thread(() -> {
                while (true) {
                    long n = next.getAndIncrement();
                    CallToolResult result = handler.apply(context, new CallToolRequest(TOOL, Map.of(NUMBER_FIELD, n)));
                    if (Boolean.TRUE.equals(result.isError())) {
                        System.err.println("guarded call " + n + " failed: " + result.structuredContent());
                        System.exit(3);
                    }
                    acks.ack(n);
                }
            }, "kill-loop-caller-" + t);
            caller.start();
        }
    }

    /** The one writer of stdout acks; each ack is flushed before the call's thread makes its next call. */
    private static final class Acks {
        private final Writer out = new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.US_ASCII);
        private final long exitAfter;
        private long count;

        Acks(long exitAfter) {
            this.exitAfter = exitAfter;
        }

        synchronized void ack(long n) {
            try {
                out.write(ACK + n + "\n");
                out.flush();
            } catch (IOException e) {
                System.exit(4); // the parent is gone
            }
            if (++count == exitAfter) {
                System.exit(0);
            }
        }
    }
}
