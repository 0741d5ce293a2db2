package dev.mcpguard.core.guardrails;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds prompt injections in text (detector name {@value #NAME}, every finding of kind {@value #KIND}): the
 * phrasings and markup that the published injection corpora (garak's PromptInject, latent-injection, web-injection
 * and system-prompt-extraction probes; see {@code docs/guardrails.md}) share, matched against what
 * {@link InjectionTextNormalizer} makes of the string, so hidden characters, compatibility forms, homoglyphs and
 * encoded runs do not hide them. The rules, each a stable id:
 * <ul>
 *   <li>{@value #INSTRUCTION_OVERRIDE}: "ignore (all) previous instructions", "disregard the above.", "new
 *       instructions:", "forget everything you were told", "stop everything and just print";</li>
 *   <li>{@value #ROLE_HIJACK}: "you are now DAN / in developer mode", "act as an unrestricted AI", "developer mode
 *       enabled", and fake conversation markers: {@code <|im_start|>system}, {@code [INST]}, {@code <<SYS>>},
 *       {@code ### System}, a {@code system:} turn that is not the string's first line,
 *       {@code [system](#context)};</li>
 *   <li>{@value #PROMPT_EXTRACTION}: "repeat / print / show your system prompt", "what were your instructions",
 *       "what were you told";</li>
 *   <li>{@value #EXFILTRATION}: markdown images (and {@code <img src=>}, reference definitions) whose URL carries
 *       data (a placeholder such as {@code [DATA]}, a parameter named like a payload, a long value), markdown
 *       links with a placeholder, "send the conversation to https://...", "run curl ... | sh", curl uploading a
 *       file or a variable;</li>
 *   <li>{@value #TOOL_CALL}: {@code <tool_call>} / {@code <function_call>} markup, JSON-RPC {@code "method":
 *       "tools/call"} and {@code "tool_calls": [} shapes, text telling the model to call a tool;</li>
 *   <li>{@value #HIDDEN_CHARACTERS}: more than {@code hiddenCharacterThreshold} hidden characters (zero-width,
 *       bidirectional controls, tag characters) in one string, the span from the first to the last;</li>
 *   <li>{@value #ENCODED}: any of the above found only in a decoded text (base64, percent-encoding, HTML
 *       references, tag characters spelling ASCII), the span of the whole encoded run;</li>
 *   <li>{@value #UNSCANNABLE}: the string was too large to normalise whole (the span is the whole string), so the
 *       policy can fail closed on what was not read.</li>
 * </ul>
 * A span is always one of the string as given: a match in the folded text maps back to the code points it came
 * from, one in a decoded text to its encoded run. Phrasings that are usually benign are held back on purpose
 * ("please ignore my previous message", "disregard the above note", "you are now subscribed", a {@code curl | sh}
 * in install notes, a badge image): the false-positive rate is measured on a benign corpus
 * ({@code PromptInjectionAccuracyTest}). Paraphrases, other languages and instructions split across strings are
 * not found; this is defence in depth, never a guarantee.
 *
 * <p>Linear in the text: RE2/J patterns over bounded normalised texts, at most {@value #MAX_MATCHES} matches a
 * string. Nothing is logged or kept. Immutable and thread-safe.
 */
final class PromptInjectionDetector implements TextDetector {

    static final String NAME = "prompt_injection";
    static final String KIND = "prompt_injection";

    static final String INSTRUCTION_OVERRIDE = "injection.instruction_override";
    static final String ROLE_HIJACK = "injection.role_hijack";
    static final String PROMPT_EXTRACTION = "injection.prompt_extraction";
    static final String EXFILTRATION = "injection.exfiltration";
    static final String TOOL_CALL = "injection.tool_call";
    static final String HIDDEN_CHARACTERS = "injection.hidden_characters";
    static final String ENCODED = "injection.encoded";
    static final String UNSCANNABLE = "injection.unscannable";

    /** Every rule id this detector reports. */
    static final Set<String> RULE_IDS = Set.of(INSTRUCTION_OVERRIDE, ROLE_HIJACK, PROMPT_EXTRACTION, EXFILTRATION,
            TOOL_CALL, HIDDEN_CHARACTERS, ENCODED, UNSCANNABLE);

    /** Nested encodings read by default: base64 of percent-encoded text is read. */
    static final int DEFAULT_DECODE_LEVELS = 2;
    /** Up to this many hidden characters in one string pass (pasted text carries a stray one or two). */
    static final int DEFAULT_HIDDEN_CHARACTER_THRESHOLD = 2;
    /** The most matches reported for one string; a string with more is already an injection. */
    static final int MAX_MATCHES = 64;

    /** Extra checks a few patterns need that RE2 cannot express (no look-around). */
    private enum Check {
        NONE, NOT_NEGATED, LINE_START, TURN_AFTER_TEXT, URL_CARRIES_DATA, URL_HAS_PLACEHOLDER, REFERENCE_DEFINITION
    }

    /**
     * One pattern of a rule, tried only where one of its {@code anchors} (lower-case literals a match starts with)
     * occurs, on at most {@code window} characters from there: RE2/J has no DFA, and running a dozen alternations
     * over every position of a long text costs milliseconds per KiB, while the anchors are found with
     * {@link String#indexOf}. An anchor that starts with a letter must start a word.
     */
    private record Rule(String id, Pattern pattern, double confidence, Check check, List<String> anchors,
            List<String> requires, int window) {
    }

    /**
     * A rule pattern, tried where one of {@code anchors} (space-separated) starts, and only in texts that hold one
     * of {@code requires} (space-separated literals every match contains one of; empty: no such filter), which
     * keeps anchors that are common words ("the", "use") from costing a try each in ordinary text.
     */
    private static Rule rule(String id, double confidence, Check check, String anchors, String requires, int window,
            String regex, int flags) {
        List<String> all = List.of(anchors.split(" "));
        // An anchor that another one starts would only find the same places again.
        List<String> kept = all.stream().filter(a -> all.stream().noneMatch(b -> !b.equals(a) && a.startsWith(b)))
                .toList();
        List<String> required = requires.isEmpty() ? List.of() : List.of(requires.split(" "));
        return new Rule(id, Pattern.compile(regex, flags), confidence, check, kept, required, window);
    }

    /** Texts are lower-cased (ASCII; the folded text already is otherwise) before matching. */
    private static final int FLAGS = 0;
    private static final int LINES = Pattern.MULTILINE;
    private static final int WORDS = 256;
    private static final int URLS = 4096;

    private static final String OVERRIDE_VERB =
            "(?:ignore|disregard|forget|override|bypass|neglect|discard|abandon|skip)";
    private static final String INSTRUCTION_NOUN = "(?:instructions?|directions?|prompts?|rules|guidelines|guidance"
            + "|commands|constraints|directives?|programming|guardrails|restrictions)(?:\\b|_)";
    private static final String DATA_NOUN = "(?:conversation|chat|history|data|contents?|secrets?|passwords?"
            + "|api\\W+keys?|keys|tokens?|credentials|summary|messages|files?|e-?mails|information|everything"
            + "|cookies?|documents?|prompt)";

    private static final List<Rule> RULES = List.of(
            // --- instruction override
            rule(INSTRUCTION_OVERRIDE, 0.9, Check.NOT_NEGATED,
                    "ignore disregard forget override bypass neglect discard abandon skip",
                    "instruction direction prompt rule guideline guidance command constraint directive programming "
                            + "guardrail restriction", WORDS,
                    // Underscores separate words too: tool names, file names, identifiers.
                    OVERRIDE_VERB + "[\\W_]+(?:[^\\W_]+[\\W_]+){0,4}?" + INSTRUCTION_NOUN, FLAGS),
            rule(INSTRUCTION_OVERRIDE, 0.85, Check.NOT_NEGATED, "ignore disregard forget",
                    "above foregoing preceding before rest everything all", WORDS,
                    "(?:ignore|disregard|forget)\\W+(?:all\\W+(?:of\\W+)?)?(?:the\\W+|everything\\W+)?"
                            + "(?:above|foregoing|preceding|before)(?:\\W*$|\\W*[.!;:]|\\W+and\\b|\\W+(?:text|input"
                            + "|context|content))"
                            + "|ignore\\W+the\\W+rest\\W+of\\W+(?:this|the)\\W+(?:data|text|document|input|page)"
                            + "|forget\\W+(?:about\\W+)?(?:everything|all)\\W+(?:(?:that\\W+)?you\\W+(?:were|have"
                            + "\\W+been)\\W+(?:told|given|taught)|(?:you\\W+)?(?:know|learned)|(?:that\\W+came\\W+)?"
                            + "(?:above|before)|so\\W+far|previously)"
                            + "|forget\\W+everything\\W*(?:$|[.!:]|\\W+(?:and|now)\\b)", LINES),
            rule(INSTRUCTION_OVERRIDE, 0.85, Check.NOT_NEGATED, "new stop", "instruction prompt everything", WORDS,
                    "new\\W+system\\W+(?:instructions?|prompt)\\W*:"
                            // "New instructions: deliver to the side entrance" is a courier note; one aimed at a
                            // model goes on with what a model does.
                            + "|new\\W+instructions?\\W*:\\W*(?:you\\b|ignore|disregard|forget|(?:the\\W+)?"
                            + "(?:assistant|ai|model)\\b|as\\W+an?\\W+(?:ai|assistant)|from\\W+now|always|never"
                            + "|respond|reply|answer|output|print|say|write|call|invoke|run|execute|send|forward|reveal"
                            + "|act|pretend)"
                            + "|stop\\W+everything\\W+(?:now\\W+)?(?:and\\W+)?(?:just\\W+)?(?:print|say|output|write)",
                    FLAGS),
            // --- role hijack
            rule(ROLE_HIJACK, 0.8, Check.NONE, "you from", "now", WORDS,
                    "you\\W+are\\W+now\\W+(?:(?:an?|the|in|my|no)\\W+)?(?:dan|unrestricted|unfiltered|uncensored"
                            + "|jailbroken|evil|free|longer|developer|admin|administrator|root|god|maintenance|debug"
                            + "|system|ai|assistant|chatbot|model|acting|going|called|named|playing|operating)\\b"
                            + "|from\\W+now\\W+on\\W+you\\W+(?:are|will\\W+(?:act|respond|answer|behave|pretend|ignore"
                            + "|only|obey))\\b", FLAGS),
            rule(ROLE_HIJACK, 0.8, Check.NONE, "act behave respond answer pretend",
                    "dan unrestricted unfiltered uncensored unlimited evil jailbroken rogue malicious restrictions "
                            + "filters rules limits guidelines", WORDS,
                    "(?:act|behave|respond|answer)\\W+as\\W+(?:if\\W+you\\W+(?:are|were)\\W+)?(?:an?\\W+)?"
                            + "(?:dan\\b|(?:un(?:restricted|filtered|censored|limited)|evil|jailbroken|rogue|malicious)"
                            + "\\W+(?:\\w+\\W+)?(?:ai|assistant|model|chatbot|bot|version)\\b|(?:ai|assistant|model"
                            + "|chatbot)\\W+with(?:out)?\\W+(?:any\\W+|no\\W+)?(?:restrictions|filters|rules|limits"
                            + "|guidelines)\\b)"
                            + "|pretend\\W+(?:to\\W+be|(?:that\\W+)?you\\W+are)\\W+(?:an?\\W+)?"
                            + "(?:dan\\b|un(?:restricted"
                            + "|filtered|censored)|jailbroken|evil\\W+(?:ai|assistant)|(?:ai|assistant|model)\\W+with"
                            + "(?:out)?\\W+(?:any\\W+|no\\W+)?(?:restrictions|filters|rules))", FLAGS),
            rule(ROLE_HIJACK, 0.8, Check.NONE,
                    "developer god jailbreak dan sudo debug unrestricted admin enable activate enter switch unlock",
                    "mode", WORDS,
                    "(?:developer|god|jailbreak|dan|sudo|debug|unrestricted|admin)\\W+mode\\W+(?:is\\W+)?"
                            + "(?:now\\W+)?(?:enabled|activated|on|unlocked)\\b"
                            + "|(?:enable|activate|enter|switch\\W+(?:to|into)|unlock)\\W+(?:the\\W+)?(?:god|jailbreak"
                            + "|dan|sudo|unrestricted)\\W+mode\\b", FLAGS),
            rule(ROLE_HIJACK, 0.85, Check.NONE, "< [", "|> inst] sys assistant", 64,
                    "<\\|im_start\\|>|<\\|(?:im_end|im_sep|system|assistant|endoftext|eot_id|start_header_id"
                            + "|end_header_id|begin_of_text)\\|>|\\[/?inst\\]|<<\\s*/?sys\\s*>>"
                            + "|<\\s*/?\\s*(?:system|system_prompt|sys)\\s*>"
                            + "|\\[(?:system|assistant)\\](?:\\(#\\w*\\))?",
                    FLAGS),
            rule(ROLE_HIJACK, 0.85, Check.LINE_START, "#", "system assistant instruction", 64,
                    "#{1,6}[ \\t]*(?:system|assistant|instructions?|new[ \\t]+instructions?"
                            + "|system[ \\t]+(?:prompt|message|override))[ \\t]*:?[ \\t]*$", LINES),
            rule(ROLE_HIJACK, 0.75, Check.TURN_AFTER_TEXT, "system assistant", "", 32,
                    "(?:system|assistant)[ \\t]*:[ \\t]*[a-z\"'<]", FLAGS),
            // --- system-prompt extraction
            rule(PROMPT_EXTRACTION, 0.8, Check.NONE, "repeat print show reveal display output tell give write dump "
                    + "leak disclose share recite list spell translate encode summarise summarize return paste copy "
                    + "expose provide continue see view",
                    "prompt instruction direction message configuration rules directive guideline above", 320,
                    "(?:repeat|print|show|reveal|display|output|tell|give|write|dump|leak|disclose|share|recite"
                            + "|list|spell\\W+check|translate|encode|summari[sz]e|return|paste|copy|expose|provide"
                            + "|continue|see|view)\\b(?:\\W+[\\w'-]+){0,5}?\\W+"
                            + "(?:(?:system|developer|initial|original|hidden"
                            + "|secret|starting|internal|pre)\\W*(?:prompt|instructions?|message|configuration|rules"
                            + "|directives|directions)|(?:previous|above|prior|preceding|first)\\W+(?:prompt"
                            + "|instructions|directions|directives)|(?:instructions|directions)\\W+you\\W+(?:were"
                            + "|have\\W+been)\\W+given|your\\W+(?:instructions|prompt|rules|guidelines|directives))\\b"
                            + "|(?:repeat|print|output|show|copy|return|write)\\W+(?:\\w+\\W+){0,2}?(?:text|everything"
                            + "|words|content)\\W+above\\W+(?:in\\W+full|verbatim|word\\W+for\\W+word|exactly)", FLAGS),
            rule(PROMPT_EXTRACTION, 0.8, Check.NONE, "what",
                    "instruct prompt directive rules guideline told programmed", WORDS,
                    "what\\W+(?:were|are|was|is)\\W+(?:your\\W+(?:(?:initial|original|first|system|hidden"
                            + "|exact|secret)\\W+)?|the\\W+(?:initial|original|system|hidden|secret)\\W+)"
                            + "(?:instructions|prompt|directives|rules|guidelines)\\b"
                            + "|what\\W+(?:were|was|have)\\W+you\\W+(?:been\\W+)?(?:told|instructed|programmed)\\b",
                    FLAGS),
            rule(PROMPT_EXTRACTION, 0.8, Check.NONE, "the my your i", "prompt instruct", 64,
                    "(?:the|my|your)\\W+(?:system\\W+prompt|instructions)\\W+(?:is|are|were)\\W*:"
                            + "|i\\W+was\\W+instructed\\W+to\\b", FLAGS),
            // --- exfiltration (the window bounds every URL and line)
            rule(EXFILTRATION, 0.85, Check.URL_CARRIES_DATA, "![", "", URLS,
                    "!\\[[^\\]\\n]*\\]\\(\\s*<?((?:https?:)?//[^\\s)>]+)", FLAGS),
            rule(EXFILTRATION, 0.85, Check.URL_CARRIES_DATA, "<img", "", URLS,
                    "<img\\b[^>]*?\\bsrc\\s*=\\s*[\"']?((?:https?:)?//[^\"'\\s>]+)", FLAGS),
            rule(EXFILTRATION, 0.75, Check.REFERENCE_DEFINITION, "[", "]:", URLS,
                    "\\[[^\\]\\n]+\\]:[ \\t]*<?(https?://[^\\s>]+)", FLAGS),
            rule(EXFILTRATION, 0.7, Check.URL_HAS_PLACEHOLDER, "[", "](", URLS,
                    "\\[[^\\]\\n]*\\]\\(\\s*<?(https?://[^\\s)>]+)", FLAGS),
            rule(EXFILTRATION, 0.75, Check.NONE, "send post upload forward transmit exfiltrate leak submit append "
                    + "attach copy email", ":// webhook", WORDS,
                    "(?:send|post|upload|forward|transmit|exfiltrate|leak|submit|append|attach|copy|email)\\W+"
                            + "(?:[\\w'-]+\\W+){0,6}?" + DATA_NOUN + "\\W+(?:[\\w'-]+\\W+){0,4}?(?:to|into|at|via)\\W+"
                            + "(?:https?://|ftp://|wss?://|webhook)", FLAGS),
            rule(EXFILTRATION, 0.75, Check.NONE, "run execute exec paste type enter", "curl wget", 512,
                    "(?:run|execute|exec|paste|type|enter)\\b[^\\n]*?\\b(?:curl|wget)\\b[^\\n|]*\\|\\s*(?:sudo\\s+)?"
                            + "(?:ba|z|da|k)?sh\\b", FLAGS),
            rule(EXFILTRATION, 0.75, Check.NONE, "curl wget", "", 512,
                    "(?:curl|wget)\\b[^\\n]*?\\s(?:-d|--data\\S*|-f|--form|-t|--upload-file|--post-file\\S*)\\s"
                            + "[^\\n]*?(?:\\$\\(|`|@~|@/|~/\\.|/etc/|\\$\\{?[a-z_])", FLAGS),
            // --- tool-call injection
            rule(TOOL_CALL, 0.9, Check.NONE, "< \"method\" \"tool_calls\" \"function_call\"",
                    "tool function invoke method", WORDS,
                    "<\\s*/?\\s*(?:tool_calls?|function_calls?|tool_use|tool_code|invoke|antml:invoke"
                            + "|antml:function_calls)\\b[^<>]*>"
                            + "|\"method\"\\s*:\\s*\"tools/call\""
                            + "|\"(?:tool_calls|function_call)\"\\s*:\\s*[\\[{]", FLAGS),
            rule(TOOL_CALL, 0.7, Check.NONE, "now immediately must should also secretly silently quietly "
                    + "automatically first then", "tool", 128,
                    "(?:now|immediately|must|should|also|secretly|silently|quietly|automatically|first|then)\\W+"
                            + "(?:\\w+\\W+){0,2}?(?:call|invoke|run|execute|use|trigger)\\W+(?:the\\W+|this\\W+)?"
                            + "(?:[\\w.-]+\\W+)?tool\\b", FLAGS),
            rule(TOOL_CALL, 0.7, Check.NONE, "call invoke run execute use", "tool function _", 128,
                    "(?:call|invoke|run|execute|use)\\W+(?:the\\W+)?[\\w.-]+\\W+(?:tool|function)\\W+"
                            + "(?:with|using|passing)\\b"
                            + "|(?:call|invoke|execute)\\W+(?:the\\W+)?[a-z][a-z0-9]*_[a-z0-9_]+\\s*\\(", FLAGS));

    private static final Pattern NEGATION = Pattern.compile("(?:\\bnot|n't|\\bnever|\\bdont)\\W+(?:\\w+\\W+)?$");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\[[^\\]]{1,40}\\]|\\{[^}]{1,40}\\}|<[^>]{1,40}>"
            + "|\\$\\{?[a-z_]|%5b|%7b|%3c", Pattern.CASE_INSENSITIVE);
    private static final Set<String> PAYLOAD_PARAMETERS = Set.of("q", "d", "data", "p", "payload", "secret", "token",
            "key", "summary", "conversation", "chat", "history", "info", "msg", "message", "content", "c", "x",
            "text", "prompt", "pw", "pwd", "password", "email", "exfil", "leak", "s", "m", "b64", "b", "v");
    private static final int LONG_VALUE = 24;

    private final InjectionTextNormalizer normalizer;
    private final int hiddenCharacterThreshold;

    /**
     * A detector decoding up to {@code decodeLevels} nested encodings (0 to 4) and reporting hidden characters when
     * a string holds more than {@code hiddenCharacterThreshold} (0 or more).
     */
    PromptInjectionDetector(int decodeLevels, int hiddenCharacterThreshold) {
        if (hiddenCharacterThreshold < 0) {
            throw new IllegalArgumentException("hiddenCharacterThreshold must be 0 or more, got "
                    + hiddenCharacterThreshold);
        }
        this.normalizer = new InjectionTextNormalizer(decodeLevels);
        this.hiddenCharacterThreshold = hiddenCharacterThreshold;
    }

    /** {@value #DEFAULT_DECODE_LEVELS} decode levels, threshold {@value #DEFAULT_HIDDEN_CHARACTER_THRESHOLD}. */
    static PromptInjectionDetector ofDefaults() {
        return new PromptInjectionDetector(DEFAULT_DECODE_LEVELS, DEFAULT_HIDDEN_CHARACTER_THRESHOLD);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TextMatch> scan(String text) {
        InjectionTextNormalizer.Normalized normalized = normalizer.normalize(text);
        List<InjectionTextNormalizer.FoldedText> texts = normalized.texts();
        List<TextMatch> found = new ArrayList<>();
        InjectionTextNormalizer.FoldedText plain = texts.get(0);
        // What each rule matched in the plain text, so the same phrase read again in a decoded text is not new.
        Set<String> plainPhrases = new HashSet<>();
        String lower = asciiLowerCase(plain.text());
        int firstNonBlank = firstNonBlank(lower);
        for (Rule rule : RULES) {
            matches(rule, lower, firstNonBlank, (start, end, phrase) -> {
                add(found, new TextMatch(plain.sourceStart(start), plain.sourceEnd(end), KIND, rule.id(),
                        rule.confidence()));
                plainPhrases.add(rule.id() + '\n' + phrase);
                return found.size() < MAX_MATCHES;
            });
        }
        Set<String> encodedSeen = new HashSet<>();
        for (int i = 1; i < texts.size() && found.size() < MAX_MATCHES; i++) {
            InjectionTextNormalizer.FoldedText decoded = texts.get(i);
            int runStart = decoded.sourceStart(0);
            int runEnd = decoded.sourceEnd(decoded.text().length());
            String decodedLower = asciiLowerCase(decoded.text());
            int decodedFirstNonBlank = firstNonBlank(decodedLower);
            for (Rule rule : RULES) {
                if (found.size() >= MAX_MATCHES) {
                    break;
                }
                // Found only in decoded text: percent and entity decoding read the plain words around the escapes
                // too, and a phrase the plain text already showed is not a new finding.
                boolean[] matched = {false};
                matches(rule, decodedLower, decodedFirstNonBlank, (start, end, phrase) -> {
                    matched[0] = !plainPhrases.contains(rule.id() + '\n' + phrase);
                    return !matched[0];
                });
                if (matched[0] && encodedSeen.add(runStart + ":" + runEnd)) {
                    found.add(new TextMatch(runStart, runEnd, KIND, ENCODED, rule.confidence()));
                }
            }
        }
        if (normalized.hiddenCharacters() > hiddenCharacterThreshold && found.size() < MAX_MATCHES) {
            found.add(hiddenRange(text));
        }
        if (!normalized.complete()) {
            found.add(new TextMatch(0, text.length(), KIND, UNSCANNABLE, 1.0));
        }
        found.sort(Comparator.comparingInt(TextMatch::start).thenComparingInt(TextMatch::end));
        return List.copyOf(found);
    }

    /** Receives one match of a rule: its span in the scanned text and its text; returns whether to go on. */
    private interface MatchSink {
        boolean accept(int start, int end, String phrase);
    }

    /**
     * Tries {@code rule} at every place one of its anchors starts a word in {@code text} (lower case), on a window
     * of the rule's length from there, and hands each match that passes the rule's check to {@code sink}. Linear:
     * each anchor is searched once over the text, and each try reads at most the window.
     */
    private static void matches(Rule rule, String text, int firstNonBlank, MatchSink sink) {
        if (!rule.requires().isEmpty() && rule.requires().stream().noneMatch(text::contains)) {
            return;
        }
        int n = text.length();
        Matcher m = null;
        for (String anchor : rule.anchors()) {
            boolean word = Character.isLetter(anchor.charAt(0));
            for (int p = text.indexOf(anchor); p >= 0; p = text.indexOf(anchor, p + 1)) {
                if (word && p > 0 && isWordChar(text.charAt(p - 1))) {
                    continue;
                }
                CharBuffer window = CharBuffer.wrap(text, p, Math.min(n, p + rule.window()));
                m = m == null ? rule.pattern().matcher(window) : m.reset(window);
                if (m.lookingAt() && passes(rule, m, text, p, firstNonBlank)
                        && !sink.accept(p, p + m.end(), m.group())) {
                    return;
                }
            }
        }
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || Character.isLetterOrDigit(c);
    }

    /** Whether the match at {@code start} of {@code text} passes its rule's extra check. */
    private static boolean passes(Rule rule, Matcher m, String text, int start, int firstNonBlank) {
        switch (rule.check()) {
            case NOT_NEGATED:
                return !NEGATION.matcher(text.substring(Math.max(0, start - 24), start)).find();
            case LINE_START:
                return lineStart(text, start, " \t") >= 0;
            case TURN_AFTER_TEXT: {
                // A "system:" at the start of a string is a log line or a label; a line of its own after other
                // text is a fake turn.
                int line = lineStart(text, start, " \t>*_-");
                return line > firstNonBlank;
            }
            case URL_CARRIES_DATA:
                return carriesData(m.group(1));
            case URL_HAS_PLACEHOLDER:
                return PLACEHOLDER.matcher(afterHost(m.group(1))).find();
            case REFERENCE_DEFINITION:
                return lineStart(text, start, " \t") >= 0 && start - lineStart(text, start, " \t") <= 3
                        && carriesData(m.group(1));
            default:
                return true;
        }
    }

    /**
     * Where the line holding {@code start} starts, when only characters of {@code lead} (at most 16) stand between
     * it and {@code start}; -1 otherwise.
     */
    private static int lineStart(String text, int start, String lead) {
        int i = start;
        while (i > 0 && start - i < 16 && lead.indexOf(text.charAt(i - 1)) >= 0) {
            i--;
        }
        return i == 0 || text.charAt(i - 1) == '\n' ? i : -1;
    }

    private static int firstNonBlank(String text) {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** {@code s} with ASCII capitals lower-cased, every position unchanged. */
    static String asciiLowerCase(String s) {
        char[] chars = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if (chars == null) {
                    chars = s.toCharArray();
                }
                chars[i] = (char) (c + ('a' - 'A'));
            }
        }
        return chars == null ? s : new String(chars);
    }

    /**
     * Whether a URL a renderer would fetch carries data: a placeholder for the model to fill ({@code [DATA]},
     * {@code {summary}}, {@code $SECRET}), a query parameter named like a payload with a value, or a long value.
     */
    static boolean carriesData(String url) {
        String rest = afterHost(url);
        if (PLACEHOLDER.matcher(rest).find()) {
            return true;
        }
        int query = rest.indexOf('?');
        if (query < 0) {
            return false;
        }
        for (String parameter : rest.substring(query + 1).split("[&;]", 64)) {
            int eq = parameter.indexOf('=');
            String name = eq < 0 ? parameter : parameter.substring(0, eq);
            String value = eq < 0 ? "" : parameter.substring(eq + 1);
            if (value.length() >= LONG_VALUE
                    || (!value.isEmpty() && PAYLOAD_PARAMETERS.contains(name.toLowerCase(Locale.ROOT)))) {
                return true;
            }
        }
        return false;
    }

    private static String afterHost(String url) {
        int scheme = url.indexOf("//");
        int path = url.indexOf('/', scheme < 0 ? 0 : scheme + 2);
        return path < 0 ? "" : url.substring(path);
    }

    /**
     * Adds {@code match}, merged with a match of the same rule it overlaps (one rule has several patterns, and a
     * markdown image is also a link): one finding per place, its span covering both.
     */
    private static void add(List<TextMatch> found, TextMatch match) {
        for (int i = found.size() - 1; i >= 0; i--) {
            TextMatch other = found.get(i);
            if (other.ruleId().equals(match.ruleId()) && other.start() < match.end() && match.start() < other.end()) {
                found.set(i, new TextMatch(Math.min(other.start(), match.start()), Math.max(other.end(), match.end()),
                        KIND, match.ruleId(), Math.max(other.confidence(), match.confidence())));
                return;
            }
        }
        found.add(match);
    }

    /** From the first hidden character of {@code text} to the last (what a redaction must cover). */
    private static TextMatch hiddenRange(String text) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int width = Character.charCount(cp);
            if (InjectionTextNormalizer.isHidden(cp)) {
                if (first < 0) {
                    first = i;
                }
                last = i + width;
            }
            i += width;
        }
        return new TextMatch(Math.max(first, 0), Math.max(last, 0), KIND, HIDDEN_CHARACTERS, 0.7);
    }

    @Override
    public String toString() {
        return "PromptInjectionDetector[hiddenCharacterThreshold=" + hiddenCharacterThreshold + "]";
    }
}
