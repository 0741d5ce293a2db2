package dev.mcpguard.api;

import java.util.Objects;
import java.util.Optional;

/**
 * What the guardrails found in one request, as policy sees it ({@code input.guardrails}, see
 * {@code docs/policy.md}): the scan of the request's arguments and, in the result-phase evaluation that follows a
 * result with findings, the scan of the result.
 *
 * <p>Immutable and thread-safe.
 *
 * @param arguments the scan of the call's, prompt's or completion's arguments
 * @param result    the scan of the handler's result; present only in the result-phase evaluation
 */
public record GuardrailFindings(ContentScan arguments, Optional<ContentScan> result) {

    public GuardrailFindings {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(result, "result");
    }

    /** The findings of a request, before its handler ran. */
    public static GuardrailFindings ofArguments(ContentScan arguments) {
        return new GuardrailFindings(arguments, Optional.empty());
    }

    /** These findings with the result's scan added: the input of the result-phase evaluation. */
    public GuardrailFindings withResult(ContentScan scan) {
        return new GuardrailFindings(arguments, Optional.of(scan));
    }

    /** Whether this is the result-phase evaluation ({@code input.phase == "result"}). */
    public boolean resultPhase() {
        return result.isPresent();
    }
}
