package dev.mcpguard.core.audit;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** End to end: secret argument values reach neither the audit file nor any log line. */
class AuditNoSecretLeakTest {

    private static final String PASSWORD = "hunter2-Pa55w0rd!";
    private static final String API_KEY = "sk_live_51HxYzAbCdEf";
    private static final String BEARER = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

    @Test
    void noSecretArgumentValueAppearsInTheAuditFileOrInAnyLog(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Map<String, Object> args = Map.of("password", PASSWORD, "api_key", API_KEY,
                "note", BEARER, "nested", Map.of("authorization", BEARER), "region", "eu-west-1");
        ArgumentSummarizer summarizer = ArgumentSummarizer.builder(Secret.ofUtf8("k".repeat(32)))
                .rawFields(Set.of("region")).build();

        try (LogCapture audit = LogCapture.of(Slf4jAuditSink.LOGGER_NAME);
             LogCapture library = LogCapture.of("dev.mcpguard");
             JsonlFileAuditSink fileSink = JsonlFileAuditSink.builder(file).build()) {
            AuditSink both = record -> {
                fileSink.write(record);
                new Slf4jAuditSink().write(record);
            };
            AuditGuard guard = new AuditGuard(both, summarizer, Clock.fixed(AuditFixtures.T0, ZoneOffset.UTC));
            AuditGuard failingGuard = new AuditGuard(record -> {
                throw new AuditSink.AuditWriteException("event " + record.eventId() + " not recorded");
            }, summarizer, Clock.systemUTC());

            List<ToolGuard.Chain> chains = List.of(
                    chain("c1", args, c -> new ToolOutcome.Completed(
                            c.withAttribute(GuardKeys.POLICY_DECISION, Decision.allow("d1")), "ok", false)),
                    chain("c2", args, c -> new ToolOutcome.Denied(c,
                            Decision.deny("d2", ReasonCode.POLICY_DENIED, "No."))),
                    chain("c3", args, c -> new ToolOutcome.Failed(c,
                            new IllegalStateException("login failed for " + PASSWORD + " / " + BEARER))));
            for (ToolGuard.Chain chain : chains) {
                guard.intercept(chain).toCompletableFuture().join();
                failingGuard.intercept(chain).toCompletableFuture().join();
            }

            String fileText = Files.readString(file);
            // Three records, and the chain's start checkpoint (schema version 3).
            assertThat(fileText.lines().filter(l -> !AuditRecordJson.isChainLine(l))).hasSize(3);
            assertThat(fileText).contains("eu-west-1");
            String logText = audit.allText() + library.allText();
            assertThat(logText).contains("c1", "c2", "c3");
            for (String secret : List.of(PASSWORD, API_KEY, BEARER, "eyJhbGciOiJSUzI1NiJ9", "hunter2", "sk_live")) {
                assertThat(fileText).doesNotContain(secret);
                assertThat(logText).doesNotContain(secret);
            }
        }
    }

    private static ToolGuard.Chain chain(String id, Map<String, Object> args,
                                         java.util.function.Function<ToolCall, ToolOutcome> rest) {
        return new AuditGuardTest.TestChain(AuditFixtures.call(id, args), c -> ToolGuard.done(rest.apply(c)));
    }
}
