package dev.mcpguard.core.policy.decisionlog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs each decision-log event at INFO on {@value DecisionLogSink#SLF4J_LOGGER_NAME}. Thread-safe. */
final class Slf4jDecisionLogSink implements DecisionLogSink {

    private static final Logger log = LoggerFactory.getLogger(SLF4J_LOGGER_NAME);

    @Override
    public void write(String event) {
        log.info("{}", event);
    }

    @Override
    public String toString() {
        return "Slf4jDecisionLogSink[" + SLF4J_LOGGER_NAME + "]";
    }
}
