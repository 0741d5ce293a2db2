package dev.mcpguard.core.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.mcpguard.api.spi.AuditSink.AuditWriteException;
import dev.mcpguard.core.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Slf4jAuditSinkTest {

    @Test
    void logsEachRecordAsOneJsonLineAtInfoOnTheAuditLogger() throws Exception {
        try (LogCapture logs = LogCapture.of(Slf4jAuditSink.LOGGER_NAME)) {
            new Slf4jAuditSink().write(AuditFixtures.record("evt-1"));

            assertThat(logs.events()).singleElement().satisfies(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.INFO);
                assertThat(e.getLoggerName()).isEqualTo("mcp-guard.audit");
                assertThat(AuditRecordJson.parse(e.getFormattedMessage())).isEqualTo(AuditFixtures.record("evt-1"));
            });
        }
    }

    @Test
    void refusesRecordsWhenTheAuditLoggerWouldDiscardThem() {
        Logger audit = (Logger) LoggerFactory.getLogger(Slf4jAuditSink.LOGGER_NAME);
        Level before = audit.getLevel();
        audit.setLevel(Level.WARN);
        try {
            assertThatThrownBy(() -> new Slf4jAuditSink().write(AuditFixtures.record("evt-1")))
                    .isInstanceOf(AuditWriteException.class)
                    .hasMessageContaining("INFO disabled").hasMessageContaining("evt-1");
        } finally {
            audit.setLevel(before);
        }
    }
}
