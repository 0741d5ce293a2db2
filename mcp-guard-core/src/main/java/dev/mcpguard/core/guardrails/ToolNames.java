package dev.mcpguard.core.guardrails;

import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.text.SpoofChecker;
import com.ibm.icu.text.UnicodeSet;
import java.util.Objects;
import java.util.Optional;

/**
 * When two tool names are the same name to a model or a reader, and when one name is suspicious on its own. Two
 * names conflict, checked in this order, when they are:
 * <ol>
 *   <li>{@link Kind#DUPLICATE}: equal;</li>
 *   <li>{@link Kind#CASE_OR_SEPARATORS}: equal once case-folded (NFKC_Casefold) and stripped of the separators
 *       {@code _ - . space}: {@code get_orders}, {@code getOrders}, {@code Get-Orders};</li>
 *   <li>{@link Kind#CONFUSABLE}: of the same Unicode TR39 skeleton (ICU4J's {@link SpoofChecker#getSkeleton}),
 *       as written or once folded: {@code get_orders} and {@code get_оrders} with a Cyrillic "о", {@code tool1} and
 *       {@code tooll}, {@code term} and {@code terrn}.</li>
 * </ol>
 * A name is {@link Kind#RESTRICTED} on its own when it is not plain ASCII and fails ICU's checks at restriction
 * level {@code HIGHLY_RESTRICTIVE} (mixed scripts such as Latin with Cyrillic or Greek, mixed-script
 * confusables, mixed digit systems, invisible characters, characters outside Unicode's recommended identifier
 * set). A plain ASCII name always passes that check (it still takes part in the conflicts above).
 *
 * <p>Stateless and thread-safe (ICU's {@code SpoofChecker} is, once built).
 */
final class ToolNames {

    /** How two names conflict, or why one name is refused alone; {@link #value()} is what logs and audit show. */
    enum Kind {
        DUPLICATE("duplicate"),
        CASE_OR_SEPARATORS("case_or_separators"),
        CONFUSABLE("confusable"),
        RESTRICTED("restricted"),
        /** Not a conflict of two names: the registry holds as many names as it may. */
        REGISTRY_FULL("registry_full");

        private final String value;

        Kind(String value) {
            this.value = value;
        }

        String value() {
            return value;
        }
    }

    /**
     * The comparison keys of one name; two names conflict when a key of one equals the same key of the other.
     *
     * @param exact           the name as written
     * @param folded          case-folded, separators removed
     * @param skeleton        the TR39 skeleton of the name as written
     * @param foldedSkeleton  the TR39 skeleton of {@code folded}
     */
    record Keys(String exact, String folded, String skeleton, String foldedSkeleton) {

        /** How {@code this} and {@code other} conflict, if they do. */
        Optional<Kind> conflictWith(Keys other) {
            if (exact.equals(other.exact)) {
                return Optional.of(Kind.DUPLICATE);
            }
            if (folded.equals(other.folded)) {
                return Optional.of(Kind.CASE_OR_SEPARATORS);
            }
            if (skeleton.equals(other.skeleton) || foldedSkeleton.equals(other.foldedSkeleton)) {
                return Optional.of(Kind.CONFUSABLE);
            }
            return Optional.empty();
        }
    }

    /** Longest name checked; a longer one is refused (no MCP client shows such a name whole). */
    static final int MAX_NAME_LENGTH = 1_024;

    private static final SpoofChecker SKELETONS = new SpoofChecker.Builder().build();
    private static final SpoofChecker RESTRICTIONS = new SpoofChecker.Builder()
            .setChecks(SpoofChecker.RESTRICTION_LEVEL | SpoofChecker.MIXED_SCRIPT_CONFUSABLE | SpoofChecker.INVISIBLE
                    | SpoofChecker.MIXED_NUMBERS | SpoofChecker.CHAR_LIMIT)
            .setRestrictionLevel(SpoofChecker.RestrictionLevel.HIGHLY_RESTRICTIVE)
            .setAllowedChars(new UnicodeSet(SpoofChecker.RECOMMENDED).addAll(SpoofChecker.INCLUSION).freeze())
            .build();
    private static final Normalizer2 CASE_FOLD = Normalizer2.getNFKCCasefoldInstance();

    private ToolNames() {
    }

    /** The comparison keys of {@code name}. */
    static Keys keysOf(String name) {
        Objects.requireNonNull(name, "name");
        String folded = withoutSeparators(CASE_FOLD.normalize(name));
        return new Keys(name, folded, SKELETONS.getSkeleton(name), SKELETONS.getSkeleton(folded));
    }

    /** Whether {@code name} is refused on its own ({@link Kind#RESTRICTED}): empty, too long, or restricted. */
    static boolean isRestricted(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return true;
        }
        if (isAscii(name)) {
            return false;
        }
        return RESTRICTIONS.failsChecks(name);
    }

    private static boolean isAscii(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static String withoutSeparators(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '_' && c != '-' && c != '.' && c != ' ') {
                out.append(c);
            }
        }
        return out.toString();
    }
}
