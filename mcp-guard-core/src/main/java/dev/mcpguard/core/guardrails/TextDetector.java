package dev.mcpguard.core.guardrails;

import java.util.List;

/**
 * Finds one family of things (prompt injection, personal data, secrets, poisoned tool descriptions) in a string.
 * The guardrail step runs detectors over every string of a value with {@link ContentWalker}, which bounds how much
 * text a detector ever sees; a detector itself must run in time linear in the text (RE2/J patterns, no
 * backtracking regular expressions) and never log or keep the text.
 *
 * <p>Implementations are immutable and thread-safe.
 */
interface TextDetector {

    /** The detector's name as configured and reported ({@code prompt_injection}, {@code pii}, {@code secrets}). */
    String name();

    /** The matches in {@code text}, in order of their start; empty when there are none. Never null. */
    List<TextMatch> scan(String text);
}
