package dev.mcpguard.core.guardrails;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
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
 *       {@code ### System}, a {@code system:} turn that is not the string's first line, {@code [system](#context)};</li>
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
        NONE, NOT_NEGATED, NOT_FIRST_LINE, URL_CARRIES_DATA, URL_HAS_PLACEHOLDER
    }

    private record Rule(String id, Pattern pattern, double confidence, Check check) {
    }

    private static final int FLAGS = Pattern.CASE_INSENSITIVE;
    private static final int LINES = Pattern.CASE_INSENSITIVE | Pattern.MULTILINE;

    private static final String OVERRIDE_VERB =
            "\\b(?:ignore|disregard|forget|override|bypass|neglect|discard|abandon|skip)";
    private static final String INSTRUCTION_NOUN = "(?:instructions?|directions?|prompts?|rules|guidelines|guidance"
            + "|commands|constraints|directives?|programming|guardrails|restrictions)(?:\\b|_)";
    private static final String DATA_NOUN = "(?:conversation|chat|history|data|contents?|secrets?|passwords?"
            + "|api\\W+keys?|keys|tokens?|credentials|summary|messages|files?|e-?mails|information|everything"
            + "|cookies?|documents?|prompt)";

    private static final List<Rule> RULES = List.of(
            // --- instruction override
            new Rule(INSTRUCTION_OVERRIDE, Pattern.compile(
                    // Underscores separate words too: tool names, file names, identifiers.
                    OVERRIDE_VERB + "[\\W_]+(?:[^\\W_]+[\\W_]+){0,4}?" + INSTRUCTION_NOUN, FLAGS), 0.9,
                    Check.NOT_NEGATED),
            new Rule(INSTRUCTION_OVERRIDE, Pattern.compile(
                    "\\b(?:ignore|disregard|forget)\\W+(?:all\\W+(?:of\\W+)?)?(?:the\\W+|everything\\W+)?"
                            + "(?:above|foregoing|preceding|before)(?:\\W*$|\\W*[.!;:]|\\W+and\\b|\\W+(?:text|input"
                            + "|context|content))"
                            + "|\\bignore\\W+the\\W+rest\\W+of\\W+(?:this|the)\\W+(?:data|text|document|input|page)"
                            + "|\\bforget\\W+(?:about\\W+)?(?:everything|all)\\W+(?:(?:that\\W+)?you\\W+(?:were|have"
                            + "\\W+been)\\W+(?:told|given|taught)|(?:you\\W+)?(?:know|learned)|(?:that\\W+came\\W+)?"
                            + "(?:above|before)|so\\W+far|previously)"
                            + "|\\bforget\\W+everything\\W*(?:$|[.!:]|\\W+(?:and|now)\\b)"
                            + "|\\bnew\\W+system\\W+(?:instructions?|prompt)\\W*:"
                            // "New instructions: deliver to the side entrance" is a courier note; one aimed at a
                            // model goes on with what a model does.
                            + "|\\bnew\\W+instructions?\\W*:\\W*(?:you\\b|ignore|disregard|forget|(?:the\\W+)?"
                            + "(?:assistant|ai|model)\\b|as\\W+an?\\W+(?:ai|assistant)|from\\W+now|always|never"
                            + "|respond|reply|answer|output|print|say|write|call|invoke|run|execute|send|forward|reveal"
                            + "|act|pretend)"
                            + "|\\bstop\\W+everything\\W+(?:now\\W+)?(?:and\\W+)?(?:just\\W+)?(?:print|say|output|write)",
                    LINES), 0.85, Check.NOT_NEGATED),
            // --- role hijack
            new Rule(ROLE_HIJACK, Pattern.compile(
                    "\\byou\\W+are\\W+now\\W+(?:(?:an?|the|in|my|no)\\W+)?(?:dan|unrestricted|unfiltered|uncensored"
                            + "|jailbroken|evil|free|longer|developer|admin|administrator|root|god|maintenance|debug"
                            + "|system|ai|assistant|chatbot|model|acting|going|called|named|playing|operating)\\b"
                            + "|\\b(?:act|behave|respond|answer)\\W+as\\W+(?:if\\W+you\\W+(?:are|were)\\W+)?(?:an?\\W+)?"
                            + "(?:dan\\b|(?:un(?:restricted|filtered|censored|limited)|evil|jailbroken|rogue|malicious)"
                            + "\\W+(?:\\w+\\W+)?(?:ai|assistant|model|chatbot|bot|version)\\b|(?:ai|assistant|model"
                            + "|chatbot)\\W+with(?:out)?\\W+(?:any\\W+|no\\W+)?(?:restrictions|filters|rules|limits"
                            + "|guidelines)\\b)"
                            + "|\\bpretend\\W+(?:to\\W+be|(?:that\\W+)?you\\W+are)\\W+(?:an?\\W+)?(?:dan\\b|un(?:restricted"
                            + "|filtered|censored)|jailbroken|evil\\W+(?:ai|assistant)|(?:ai|assistant|model)\\W+with"
                            + "(?:out)?\\W+(?:any\\W+|no\\W+)?(?:restrictions|filters|rules))"
                            + "|\\b(?:developer|god|jailbreak|dan|sudo|debug|unrestricted|admin)\\W+mode\\W+(?:is\\W+)?"
                            + "(?:now\\W+)?(?:enabled|activated|on|unlocked)\\b"
                            + "|\\b(?:enable|activate|enter|switch\\W+(?:to|into)|unlock)\\W+(?:the\\W+)?(?:god|jailbreak"
                            + "|dan|sudo|unrestricted)\\W+mode\\b"
                            + "|\\bfrom\\W+now\\W+on\\W+you\\W+(?:are|will\\W+(?:act|respond|answer|behave|pretend|ignore"
                            + "|only|obey))\\b", FLAGS), 0.8, Check.NONE),
            new Rule(ROLE_HIJACK, Pattern.compile(
                    "<\\|im_start\\|>|<\\|(?:im_end|im_sep|system|assistant|endoftext|eot_id|start_header_id"
                            + "|end_header_id|begin_of_text)\\|>|\\[/?inst\\]|<<\\s*/?sys\\s*>>"
                            + "|<\\s*/?\\s*(?:system|system_prompt|sys)\\s*>|\\[(?:system|assistant)\\](?:\\(#\\w*\\))?"
                            + "|^[ \\t]*#{1,6}[ \\t]*(?:system|assistant|instructions?|new[ \\t]+instructions?"
                            + "|system[ \\t]+(?:prompt|message|override))[ \\t]*:?[ \\t]*$", LINES), 0.85, Check.NONE),
            new Rule(ROLE_HIJACK, Pattern.compile(
                    "^[ \\t>*_-]*(?:system|assistant)[ \\t]*:[ \\t]*[a-z\"'<]", LINES), 0.75, Check.NOT_FIRST_LINE),
            // --- system-prompt extraction
            new Rule(PROMPT_EXTRACTION, Pattern.compile(
                    "\\b(?:repeat|print|show|reveal|display|output|tell|give|write|dump|leak|disclose|share|recite"
                            + "|list|spell\\W+check|translate|encode|summari[sz]e|return|paste|copy|expose|provide"
                            + "|continue|see|view)\\b(?:\\W+[\\w'-]+){0,5}?\\W+(?:(?:system|developer|initial|original|hidden"
                            + "|secret|starting|internal|pre)\\W*(?:prompt|instructions?|message|configuration|rules"
                            + "|directives|directions)|(?:previous|above|prior|preceding|first)\\W+(?:prompt"
                            + "|instructions|directions|directives)|(?:instructions|directions)\\W+you\\W+(?:were"
                            + "|have\\W+been)\\W+given|your\\W+(?:instructions|prompt|rules|guidelines|directives))\\b"
                            + "|\\bwhat\\W+(?:were|are|was|is)\\W+(?:your\\W+(?:(?:initial|original|first|system|hidden"
                            + "|exact|secret)\\W+)?|the\\W+(?:initial|original|system|hidden|secret)\\W+)"
                            + "(?:instructions|prompt|directives|rules|guidelines)\\b"
                            + "|\\bwhat\\W+(?:were|was|have)\\W+you\\W+(?:been\\W+)?(?:told|instructed|programmed)\\b"
                            + "|\\b(?:the|my|your)\\W+(?:system\\W+prompt|instructions)\\W+(?:is|are|were)\\W*:"
                            + "|\\bi\\W+was\\W+instructed\\W+to\\b"
                            + "|\\b(?:repeat|print|output|show|copy|return|write)\\W+(?:\\w+\\W+){0,2}?(?:text|everything"
                            + "|words|content)\\W+above\\W+(?:in\\W+full|verbatim|word\\W+for\\W+word|exactly)",
                    FLAGS), 0.8, Check.NONE),
            // --- exfiltration
            new Rule(EXFILTRATION, Pattern.compile(
                    "!\\[[^\\]\\n]{0,200}\\]\\(\\s*<?((?:https?:)?//[^\\s)>]+)"), 0.85,
                    Check.URL_CARRIES_DATA),
            new Rule(EXFILTRATION, Pattern.compile(
                    "<img\\b[^>]{0,500}?\\bsrc\\s*=\\s*[\"']?((?:https?:)?//[^\"'\\s>]+)", FLAGS), 0.85,
                    Check.URL_CARRIES_DATA),
            new Rule(EXFILTRATION, Pattern.compile(
                    "^[ \\t]{0,3}\\[[^\\]\\n]{1,200}\\]:[ \\t]*<?(https?://[^\\s>]+)", LINES), 0.75,
                    Check.URL_CARRIES_DATA),
            new Rule(EXFILTRATION, Pattern.compile(
                    "\\[[^\\]\\n]{0,200}\\]\\(\\s*<?(https?://[^\\s)>]+)"), 0.7, Check.URL_HAS_PLACEHOLDER),
            new Rule(EXFILTRATION, Pattern.compile(
                    "\\b(?:send|post|upload|forward|transmit|exfiltrate|leak|submit|append|attach|copy|email)\\W+"
                            + "(?:[\\w'-]+\\W+){0,6}?" + DATA_NOUN + "\\W+(?:[\\w'-]+\\W+){0,4}?(?:to|into|at|via)\\W+"
                            + "(?:https?://|ftp://|wss?://|webhook)"
                            + "|\\b(?:run|execute|exec|paste|type|enter)\\b[^\\n]{0,40}?\\b(?:curl|wget)\\b[^\\n|]{0,300}"
                            + "\\|\\s*(?:sudo\\s+)?(?:ba|z|da|k)?sh\\b"
                            + "|\\b(?:curl|wget)\\b[^\\n]{0,200}?\\s(?:-d|--data\\S*|-F|--form|-T|--upload-file"
                            + "|--post-file\\S*)\\s[^\\n]{0,200}?(?:\\$\\(|`|@~|@/|~/\\.|/etc/|\\$\\{?[a-z_])", FLAGS),
                    0.75, Check.NONE),
            // --- tool-call injection
            new Rule(TOOL_CALL, Pattern.compile(
                    "<\\s*/?\\s*(?:tool_calls?|function_calls?|tool_use|tool_code|invoke|antml:invoke"
                            + "|antml:function_calls)\\b[^<>]{0,200}>"
                            + "|\"method\"\\s*:\\s*\"tools/call\""
                            + "|\"(?:tool_calls|function_call)\"\\s*:\\s*[\\[{]", FLAGS), 0.9, Check.NONE),
            new Rule(TOOL_CALL, Pattern.compile(
                    "\\b(?:now|immediately|must|should|also|secretly|silently|quietly|automatically|first|then)\\W+"
                            + "(?:\\w+\\W+){0,2}?(?:call|invoke|run|execute|use|trigger)\\W+(?:the\\W+|this\\W+)?"
                            + "(?:[\\w.-]{1,64}\\W+)?tool\\b"
                            + "|\\b(?:call|invoke|run|execute|use)\\W+(?:the\\W+)?[\\w.-]{1,64}\\W+(?:tool|function)\\W+"
                            + "(?:with|using|passing)\\b"
                            + "|\\b(?:call|invoke|execute)\\W+(?:the\\W+)?[a-z][a-z0-9]*_[a-z0-9_]+\\s*\\(", FLAGS),
                    0.7, Check.NONE));

    private static final Pattern NEGATION = Pattern.compile("(?:\\bnot|n't|\\bnever|\\bdont)\\W+(?:\\w+\\W+)?$",
            FLAGS);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\[[^\\]]{1,40}\\]|\\{[^}]{1,40}\\}|<[^>]{1,40}>"
            + "|\\$\\{?[a-z_]|%5b|%7b|%3c", FLAGS);
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
        for (Rule rule : RULES) {
            Matcher m = rule.pattern().matcher(plain.text());
            while (found.size() < MAX_MATCHES && m.find()) {
                if (passes(rule, m, plain.text())) {
                    add(found, new TextMatch(plain.sourceStart(m.start()), plain.sourceEnd(m.end()), KIND,
                            rule.id(), rule.confidence()));
                    plainPhrases.add(rule.id() + '\n' + m.group().toLowerCase(Locale.ROOT));
                }
            }
        }
        Set<String> encodedSeen = new HashSet<>();
        for (int i = 1; i < texts.size() && found.size() < MAX_MATCHES; i++) {
            InjectionTextNormalizer.FoldedText decoded = texts.get(i);
            int runStart = decoded.sourceStart(0);
            int runEnd = decoded.sourceEnd(decoded.text().length());
            for (Rule rule : RULES) {
                if (found.size() >= MAX_MATCHES) {
                    break;
                }
                Matcher m = rule.pattern().matcher(decoded.text());
                boolean matched = false;
                while (!matched && m.find()) {
                    // Found only in decoded text: percent and entity decoding read the plain words around the
                    // escapes too, and a phrase the plain text already showed is not a new finding.
                    matched = passes(rule, m, decoded.text())
                            && !plainPhrases.contains(rule.id() + '\n' + m.group().toLowerCase(Locale.ROOT));
                }
                if (matched && encodedSeen.add(runStart + ":" + runEnd)) {
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

    private static boolean passes(Rule rule, Matcher m, String text) {
        switch (rule.check()) {
            case NOT_NEGATED:
                return !NEGATION.matcher(text.substring(Math.max(0, m.start() - 24), m.start())).find();
            case NOT_FIRST_LINE:
                // A "system:" at the start of a string is a log line or a label; after other text it is a fake turn.
                return !blankBefore(text, m.start());
            case URL_CARRIES_DATA:
                return carriesData(m.group(1));
            case URL_HAS_PLACEHOLDER:
                return PLACEHOLDER.matcher(afterHost(m.group(1))).find();
            default:
                return true;
        }
    }

    private static boolean blankBefore(String text, int end) {
        for (int i = 0; i < end; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
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
