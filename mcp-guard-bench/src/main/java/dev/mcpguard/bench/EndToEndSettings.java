package dev.mcpguard.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@link EndToEndBenchmark} run does: how many interleaved rounds of how long, after how much warm-up,
 * with how many concurrent clients, against which variants. Immutable and thread-safe.
 *
 * <pre>{@code
 * EndToEndSettings settings = EndToEndSettings.parse("--rounds", "3", "--time", "2s");
 * }</pre>
 *
 * @param rounds        measured rounds; each runs every variant once per client count, in order
 * @param roundTime     how long one variant runs with one client count in a measured round
 * @param warmupRounds  rounds run first and discarded, same schedule
 * @param warmupTime    how long one variant runs with one client count in a warm-up round
 * @param clients       the concurrent client counts, each a thread with its own MCP session, e.g. {@code [1, 8]}
 * @param variants      which servers run, in this order: {@code A}, {@code B}, {@code C}
 * @param auditModes    the audit sinks of variant B, one guarded server each: {@code async}, {@code durable}
 * @param workDir       where the run's audit files, credential stores and nginx config go (a fresh subdirectory,
 *                      deleted after the run); put it on the disk you mean to measure fsync on, not on tmpfs
 * @param nginx         the nginx binary for variant C; empty means "find or install it with
 *                      {@code scripts/ensure-nginx.sh}"
 * @param request       what every client sends, to every variant: a {@code tools/call} or a
 *                      {@code resources/read}
 * @param guardrails    whether each guarded server runs the example's guardrails ({@code on}, as wired) or not
 *                      ({@code off}, target {@code B-<audit>-noguardrails}); one guarded server per audit mode and
 *                      entry, so both can run side by side in one run
 */
public record EndToEndSettings(int rounds, Duration roundTime, int warmupRounds, Duration warmupTime,
                               List<Integer> clients, List<Variant> variants, List<AuditMode> auditModes,
                               Path workDir, Optional<Path> nginx, Request request, List<Boolean> guardrails) {

    /** The one request each client repeats. */
    public enum Request {
        /** {@code tools/call} of {@code get_order} for an order of the caller's tenant. */
        CALL("tools/call"),
        /** {@code resources/read} of {@code orders://acme/1001}, an order of the caller's tenant (by the template). */
        READ("resources/read");

        private final String method;

        Request(String method) {
            this.method = method;
        }

        /** The JSON-RPC method. */
        public String method() {
            return method;
        }
    }

    /** The three servers the harness compares. */
    public enum Variant {
        /** The unguarded MCP SDK server (the baseline every ratio is relative to). */
        A,
        /** The same server guarded as the example is, once per audit mode. */
        B,
        /** A behind a loopback nginx hop. */
        C
    }

    /** The audit sink of a guarded server (variant B). */
    public enum AuditMode {
        /** Queued and written in batches by one thread ({@code JsonlFileAuditSink.Mode.ASYNC}). */
        ASYNC,
        /** Written and forced to disk before the call returns ({@code JsonlFileAuditSink.Mode.DURABLE}), as the example. */
        DURABLE
    }

    /** The usage text of {@link #parse}. */
    public static final String USAGE = """
            Options (defaults in brackets):
              --rounds N           measured rounds [5]
              --time DURATION      per variant and client count in a round, e.g. 5s, 500ms [5s]
              --warmup-rounds N    discarded rounds first [2]
              --warmup-time D      per variant and client count in a warm-up round [5s]
              --clients LIST       concurrent clients, one MCP session each [1,8]
              --variants LIST      of A (unguarded), B (guarded), C (A behind nginx) [A,B,C]
              --audit LIST         audit sinks of B, one guarded server each: async, durable [async,durable]
              --work-dir PATH      audit files, credential stores, nginx config (fresh subdirectory) [target/end-to-end]
              --nginx PATH         nginx binary for C [found or installed by scripts/ensure-nginx.sh]
              --request R          call (tools/call get_order) or read (resources/read orders://acme/1001) [call]
              --guardrails LIST    of on (the example's guardrails, as wired), off, for each guarded server [on]
            """;

    public EndToEndSettings {
        requireRange("rounds", rounds, 1, 1_000);
        requireRange("warmupRounds", warmupRounds, 0, 1_000);
        requirePositive("roundTime", roundTime);
        requirePositive("warmupTime", warmupTime);
        clients = List.copyOf(clients);
        if (clients.isEmpty()) {
            throw new IllegalArgumentException("clients must name at least one client count, got " + clients);
        }
        clients.forEach(n -> requireRange("clients", n, 1, 256));
        if (new LinkedHashSet<>(clients).size() != clients.size()) {
            throw new IllegalArgumentException("clients must not repeat a count, got " + clients);
        }
        variants = List.copyOf(new LinkedHashSet<>(variants));
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("variants must name at least one of A, B, C");
        }
        auditModes = List.copyOf(new LinkedHashSet<>(auditModes));
        if (variants.contains(Variant.B) && auditModes.isEmpty()) {
            throw new IllegalArgumentException("variant B needs at least one audit mode: async, durable");
        }
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(nginx, "nginx");
        Objects.requireNonNull(request, "request");
        guardrails = List.copyOf(new LinkedHashSet<>(guardrails));
        if (guardrails.isEmpty()) {
            throw new IllegalArgumentException("guardrails must name on, off or both");
        }
    }

    /**
     * The defaults: 2 warm-up and 5 measured rounds of 5 s, 1 and 8 clients, A, B (async and durable), C, each
     * client repeating a {@code tools/call}.
     */
    public static EndToEndSettings ofDefaults() {
        return parse();
    }

    /** The largest client count, i.e. how many client threads and sessions each variant needs. */
    public int maxClients() {
        return clients.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    /**
     * Settings from command-line options (see {@link #USAGE}).
     *
     * @throws IllegalArgumentException naming the option and the value it could not use
     */
    public static EndToEndSettings parse(String... args) {
        int rounds = 5;
        Duration roundTime = Duration.ofSeconds(5);
        int warmupRounds = 2;
        Duration warmupTime = Duration.ofSeconds(5);
        List<Integer> clients = List.of(1, 8);
        List<Variant> variants = List.of(Variant.A, Variant.B, Variant.C);
        List<AuditMode> auditModes = List.of(AuditMode.ASYNC, AuditMode.DURABLE);
        Path workDir = Path.of("target", "end-to-end");
        Path nginx = null;
        Request request = Request.CALL;
        List<Boolean> guardrails = List.of(true);
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value\n" + USAGE);
            }
            String value = args[++i];
            switch (option) {
                case "--rounds" -> rounds = integer(option, value);
                case "--time" -> roundTime = duration(option, value);
                case "--warmup-rounds" -> warmupRounds = integer(option, value);
                case "--warmup-time" -> warmupTime = duration(option, value);
                case "--clients" -> clients = list(value).stream().map(v -> integer(option, v)).toList();
                case "--variants" -> variants = list(value).stream()
                        .map(v -> constant(Variant.class, option, v)).toList();
                case "--audit" -> auditModes = list(value).stream()
                        .map(v -> constant(AuditMode.class, option, v)).toList();
                case "--work-dir" -> workDir = Path.of(value);
                case "--nginx" -> nginx = Path.of(value);
                case "--request" -> request = constant(Request.class, option, value);
                case "--guardrails" -> guardrails = list(value).stream().map(v -> switch (v) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException(option + " takes on and/or off, got '" + v + "'");
                }).toList();
                default -> throw new IllegalArgumentException("unknown option " + option + "\n" + USAGE);
            }
        }
        return new EndToEndSettings(rounds, roundTime, warmupRounds, warmupTime, clients, variants, auditModes,
                workDir, Optional.ofNullable(nginx), request, guardrails);
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number, got '" + value + "'", e);
        }
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m} or an ISO-8601 duration ({@code PT2S}). */
    static Duration duration(String option, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.parse(value.trim());
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be a duration such as 500ms, 2s, 1m or PT2S, got '"
                    + value + "'", e);
        }
    }

    private static <E extends Enum<E>> E constant(Class<E> type, String option, String value) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value)) {
                return constant;
            }
        }
        throw new IllegalArgumentException(option + " takes " + java.util.Arrays.toString(type.getEnumConstants())
                + ", got '" + value + "'");
    }

    private static void requireRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
