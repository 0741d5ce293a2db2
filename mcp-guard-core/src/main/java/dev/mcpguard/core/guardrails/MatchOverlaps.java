package dev.mcpguard.core.guardrails;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Keeps one match where several of one detector overlap: the most certain (highest confidence), then the longest,
 * then the first. So a validated card number is not also reported as a phone number, nor a JWT after
 * {@code token=} also as a generic secret. Stateless and thread-safe.
 */
final class MatchOverlaps {

    private static final Comparator<TextMatch> BY_START =
            Comparator.comparingInt(TextMatch::start).thenComparingInt(TextMatch::end);

    private MatchOverlaps() {
    }

    /** {@code matches} without overlaps, in order of their start; a new list. */
    static List<TextMatch> resolve(List<TextMatch> matches) {
        if (matches.size() < 2) {
            return List.copyOf(matches);
        }
        List<TextMatch> sorted = new ArrayList<>(matches);
        sorted.sort(BY_START);
        List<TextMatch> kept = new ArrayList<>(sorted.size());
        for (TextMatch match : sorted) {
            // A match may overlap several kept ones; it replaces them only if it beats each of them.
            int firstOverlap = kept.size();
            while (firstOverlap > 0 && kept.get(firstOverlap - 1).end() > match.start()) {
                firstOverlap--;
            }
            boolean wins = true;
            for (int i = firstOverlap; i < kept.size() && wins; i++) {
                wins = beats(match, kept.get(i));
            }
            if (wins) {
                kept.subList(firstOverlap, kept.size()).clear();
                kept.add(match);
            }
        }
        return List.copyOf(kept);
    }

    private static boolean beats(TextMatch a, TextMatch b) {
        if (a.confidence() != b.confidence()) {
            return a.confidence() > b.confidence();
        }
        return (a.end() - a.start()) > (b.end() - b.start());
    }
}
