package dev.mcpguard.core.guardrails;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.mcpguard.api.Finding;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the signs of a poisoned tool definition (kind {@code tool.poisoning}) in its strings: the description, the
 * title, and every string of the schemas, parameter descriptions included, which are a known vector. The rules,
 * all here, come from the published tool-poisoning attacks (Invariant Labs' "tool poisoning" and "shadowing"
 * examples, CyberArk's "full-schema poisoning"; see {@code docs/guardrails.md}):
 * <ul>
 *   <li>{@code tool.poisoning.hidden_tag}: instructions in pseudo-markup meant for the model, {@code <IMPORTANT>},
 *       {@code <system>}, {@code <secret>}, {@code <instructions>};</li>
 *   <li>{@code tool.poisoning.conceal_from_user}: "do not tell the user", "without informing the user", "the user
 *       must not know";</li>
 *   <li>{@code tool.poisoning.precondition}: "before using this tool, read ...", "you must first read / open /
 *       send ...";</li>
 *   <li>{@code tool.poisoning.exfiltrate_argument}: "pass its content as the note argument", "include the
 *       contents of ... in the ... parameter";</li>
 *   <li>{@code tool.poisoning.cross_tool}: instructions about other tools: "call the X tool first", "instead of
 *       using ...", "all emails must be sent to ...", "when the send_email tool is used ...";</li>
 *   <li>{@code tool.poisoning.sensitive_file}: references to files that hold secrets or agent configuration:
 *       {@code ~/.ssh}, {@code id_rsa}, {@code /etc/passwd}, {@code .env}, {@code mcp.json},
 *       {@code .aws/credentials}, {@code .netrc}, ...;</li>
 *   <li>{@code tool.poisoning.secret_request}: directing the model to hand over secrets: "send the API key",
 *       "include your access token", "pass the password";</li>
 *   <li>{@code tool.poisoning.invisible_text}: zero-width characters, bidirectional controls and Unicode tag
 *       characters, which hide text from a reviewer but not from a model.</li>
 * </ul>
 * Each string is matched as written and, for rules not matched there, in its normalised forms
 * ({@link InjectionTextNormalizer}: Cyrillic or Greek look-alikes folded, hidden characters stripped, Unicode tag
 * text and base64, percent and HTML-entity runs decoded two levels deep), the finding pointing at the string.
 * General prompt injection ("ignore previous instructions") is the prompt-injection detector's; this one only
 * knows what is specific to tool definitions. RE2/J patterns, linear in the text; the text is never logged or
 * kept.
 *
 * <p>Immutable and thread-safe.
 */
final class ToolPoisoningDetector implements TextDetector {

    /** The kind of every finding. */
    static final String KIND = "tool.poisoning";
    /** The rule of a definition too large or deep to scan whole (refused: what was not scanned may hold it). */
    static final String UNSCANNABLE = "tool.poisoning.unscannable";

    /**
     * One rule. {@code needs}: groups of words; wherever the pattern matches, the text, lower-cased, holds a word
     * of every group (each alternative of the pattern needs one of each), so a text that lacks a group is not
     * matched at all; empty for none. RE2/J runs these bounded-repetition patterns at about a microsecond per
     * character, and most descriptions lack a group.
     */
    private record Rule(String id, Pattern pattern, double confidence, List<List<String>> needs) {
        Rule(String id, Pattern pattern, double confidence) {
            this(id, pattern, confidence, List.of());
        }

        boolean mayMatch(String lowerCase) {
            for (List<String> group : needs) {
                if (group.stream().noneMatch(lowerCase::contains)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final int FLAGS = Pattern.CASE_INSENSITIVE;

    private static final List<Rule> RULES = List.of(
            new Rule("tool.poisoning.hidden_tag", Pattern.compile(
                    "<\\s*/?\\s*(?:important|system|secret|hidden|instructions?|admin|assistant|ai|llm|critical)"
                            + "(?:\\s[^<>]{0,40})?\\s*>", FLAGS), 0.9),
            new Rule("tool.poisoning.conceal_from_user", Pattern.compile(
                    "(?:do\\s+not|don'?t|never|must\\s+not)\\s+(?:tell|inform|mention|reveal|show|notify|alert|"
                            + "let)\\b[^.\\n]{0,30}\\b(?:user|human|operator)"
                            + "|without\\s+(?:telling|informing|notifying|alerting|asking)\\s+the\\s+(?:user|human)"
                            + "|(?:user|human)\\s+(?:must|should)\\s+not\\s+(?:know|see|notice|be\\s+told)"
                            + "|keep\\s+(?:this|it)\\s+(?:a\\s+)?(?:secret|hidden|confidential)"
                            + "|hide\\s+(?:this|it)\\s+from\\s+the\\s+(?:user|human)", FLAGS), 0.9,
                    List.of(List.of("user", "human", "operator", "keep"),
                            List.of("not", "don", "never", "without", "keep", "hide"))),
            new Rule("tool.poisoning.precondition", Pattern.compile(
                    "before\\s+(?:using|calling|invoking|running|executing)\\s+(?:this|the|any)\\s+tool[^.\\n]{0,80}"
                            + "\\b(?:read|open|cat|fetch|load|send|include|pass|upload|copy|call|invoke)\\b"
                            + "|you\\s+(?:must|need\\s+to|have\\s+to|should)\\s+(?:always\\s+)?first\\s+"
                            + "(?:read|open|cat|fetch|send|call|invoke|include|pass)\\b", FLAGS), 0.85,
                    List.of(List.of("before", "first"), List.of("tool", "you"))),
            new Rule("tool.poisoning.exfiltrate_argument", Pattern.compile(
                    "(?:pass|put|send|include|add|append|insert|place|provide)\\s+(?:its|the|their|that|this|"
                            + "this\\s+file'?s?|the\\s+file'?s?)\\s+(?:full\\s+|entire\\s+|raw\\s+)?"
                            + "(?:content|contents|text|output|data)\\b[^.\\n]{0,80}\\b"
                            + "(?:argument|parameter|param|field|sidenote|note)\\b"
                            + "|(?:content|contents)\\s+of\\s+[^.\\n]{1,60}\\s+(?:as|in|into)\\s+(?:the\\s+)?"
                            + "[\\w-]{1,40}\\s+(?:argument|parameter|param|field)\\b", FLAGS), 0.85,
                    List.of(List.of("argument", "param", "field", "note"),
                            List.of("content", "text", "output", "data"))),
            new Rule("tool.poisoning.cross_tool", Pattern.compile(
                    "(?:call|invoke|use|run)\\s+the\\s+[\\w.-]{1,64}\\s+tool\\s+(?:first|before|instead|after)"
                            + "|instead\\s+of\\s+(?:using|calling|invoking)\\s+(?:the\\s+)?[\\w.-]{1,64}"
                            + "|(?:when|whenever|if)\\s+(?:the\\s+)?[\\w.-]{1,64}\\s+tool\\s+is\\s+"
                            + "(?:used|called|invoked|available)"
                            + "|all\\s+(?:emails?|e-mails?|messages?|requests?|payments?|transfers?)\\s+"
                            + "(?:must|should|have\\s+to)\\s+(?:be\\s+)?(?:sent|forwarded|redirected|routed|copied)\\s+to"
                            + "|(?:this|the)\\s+tool\\s+(?:has\\s+)?(?:side\\s+effects?|overrides?)\\s+on\\s+"
                            + "(?:the\\s+)?(?:other|[\\w.-]{1,64})\\s+tools?", FLAGS), 0.7,
                    List.of(List.of("tool", "instead", "mail", "message", "request", "payment", "transfer"))),
            new Rule("tool.poisoning.sensitive_file", Pattern.compile(
                    "~/\\.ssh|\\.ssh/|\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b|/etc/(?:passwd|shadow|sudoers)\\b"
                            + "|(?:^|[\\s\"'`(/=:])\\.env\\b|\\bmcp\\.json\\b|\\.aws/credentials|\\bcredentials\\.json\\b"
                            + "|\\.netrc\\b|\\.npmrc\\b|\\.pypirc\\b|\\.git-credentials\\b|\\.kube/config\\b"
                            + "|\\.docker/config\\.json|claude_desktop_config\\.json|\\.cursor/|\\bwallet\\.dat\\b"
                            + "|\\.pgpass\\b|\\.bash_history\\b|\\.gnupg\\b|\\.config/gcloud\\b|\\.azure/"
                            + "|\\.config/gh/hosts\\.yml", FLAGS), 0.8,
                    List.of(List.of(".ssh", "id_", "/etc/", ".env", "mcp.json", ".aws", "credentials", ".netrc",
                            ".npmrc", ".pypirc", ".kube", ".docker", "claude_desktop", ".cursor", "wallet.dat",
                            ".pgpass", ".bash_history", ".gnupg", "gcloud", ".azure", "hosts.yml"))),
            new Rule("tool.poisoning.secret_request", Pattern.compile(
                    "(?:send|pass|include|provide|attach|share|leak|upload|forward|append|read|extract|copy)\\s+"
                            + "(?:the\\s+|your\\s+|all\\s+|any\\s+|its\\s+)?(?:user'?s?\\s+|saved\\s+|stored\\s+)?"
                            + "(?:api[\\s_-]?keys?|access[\\s_-]?tokens?|auth(?:entication)?[\\s_-]?tokens?|"
                            + "bearer\\s+tokens?|secret[\\s_-]?keys?|passwords?|private[\\s_-]?keys?|ssh[\\s_-]?keys?|"
                            + "session\\s+cookies?|seed\\s+phrases?|conversation\\s+history|chat\\s+history|"
                            + "system\\s+prompt)\\b", FLAGS), 0.7,
                    List.of(List.of("key", "token", "password", "cookie", "phrase", "history", "prompt"),
                            List.of("send", "pass", "include", "provide", "attach", "share", "leak", "upload",
                                    "forward", "append", "read", "extract", "copy"))),
            new Rule("tool.poisoning.invisible_text", Pattern.compile(
                    "[\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}\\x{2060}-\\x{2064}\\x{2066}-\\x{2069}\\x{FEFF}"
                            + "\\x{180E}\\x{E0000}-\\x{E007F}]+"), 0.95));

    /** Two levels: base64 of percent-encoded text is read. */
    private static final InjectionTextNormalizer NORMALIZER = new InjectionTextNormalizer(2);

    /** The one instance; it holds no state. */
    static final ToolPoisoningDetector INSTANCE = new ToolPoisoningDetector();

    private ToolPoisoningDetector() {
    }

    @Override
    public String name() {
        return "tool_poisoning";
    }

    @Override
    public List<TextMatch> scan(String text) {
        List<TextMatch> matches = new ArrayList<>();
        String lowerCase = text.toLowerCase(Locale.ROOT);
        for (Rule rule : RULES) {
            if (!rule.mayMatch(lowerCase)) {
                continue;
            }
            Matcher matcher = rule.pattern().matcher(text);
            while (matcher.find()) {
                matches.add(new TextMatch(matcher.start(), matcher.end(), KIND, rule.id(), rule.confidence()));
            }
        }
        matches.sort(Comparator.comparingInt(TextMatch::start));
        return matches;
    }

    /**
     * The findings in every string of {@code definition} (a tool as {@code tools/list} shows it, keys included),
     * at JSON paths into it; one {@link #UNSCANNABLE} finding at {@code $} when the definition is too large or deep
     * to scan whole.
     */
    static List<Finding> scanDefinition(Map<String, ?> definition) {
        List<Finding> findings = new ArrayList<>();
        boolean[] normalizedWhole = {true};
        boolean complete = ContentWalker.walk(definition, "$", ContentWalker.Limits.DEFAULTS,
                (path, text) -> normalizedWhole[0] &= scanString(path, text, findings));
        if (!complete || !normalizedWhole[0]) {
            findings.add(new Finding(KIND, UNSCANNABLE, "$", 1.0));
        }
        return findings;
    }

    /**
     * Adds the findings in {@code text} as written and, for rules it did not match there, in its normalised forms
     * ({@link InjectionTextNormalizer}: homoglyphs folded, hidden characters stripped, Unicode tag text, base64,
     * percent and HTML-entity runs decoded two levels deep), so that an instruction spelled in Cyrillic look-alikes
     * or hidden in base64 is read as the model would read it. False when a bound of the normaliser cut it short.
     */
    private static boolean scanString(String path, String text, List<Finding> findings) {
        Set<String> matched = new HashSet<>();
        for (TextMatch match : INSTANCE.scan(text)) {
            findings.add(match.toFinding(path));
            matched.add(match.ruleId());
        }
        InjectionTextNormalizer.Normalized normalized = NORMALIZER.normalize(text);
        String lowerCase = text.toLowerCase(Locale.ROOT);
        for (InjectionTextNormalizer.FoldedText folded : normalized.texts()) {
            // The rules ignore case: a text the normaliser only lower-cased says nothing new (the common case).
            if (folded.text().equals(text) || folded.text().equals(lowerCase)) {
                continue;
            }
            for (TextMatch match : INSTANCE.scan(folded.text())) {
                if (matched.add(match.ruleId())) {
                    findings.add(match.toFinding(path));
                }
            }
        }
        return normalized.complete();
    }
}
