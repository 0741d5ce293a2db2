package dev.mcpguard.core.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.guardrails.ToolPinFile;
import dev.mcpguard.core.internal.ClientText;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The security reviewer's tool for the tool pin file ({@link ToolPinFile}, {@code mcp-guard-tools.lock.json}):
 * {@code pin} writes a server's pins from its current tool definitions, {@code verify} compares them and exits
 * non-zero on drift, printing what changed, and on tool names that conflict anywhere in the file (equal across
 * servers, equal but for case or separators, confusable, mixed-script), {@code update} accepts the current
 * definitions after review. {@code pin} and {@code update} print the name conflicts too.
 *
 * <pre>
 * pin    --pins mcp-guard-tools.lock.json --server orders SOURCE   (refuses a server already pinned: use update)
 * verify --pins mcp-guard-tools.lock.json --server orders SOURCE
 * update --pins mcp-guard-tools.lock.json --server orders SOURCE
 *
 * SOURCE: --url https://orders.example.com/mcp [--token-env VAR | --token-file FILE] [--token-header NAME]
 *             (connects with the MCP SDK client over Streamable HTTP and lists the tools the token may see; the
 *              token is sent as "Authorization: Bearer", or as the value of header NAME, such as X-API-Key)
 *       | --definitions tools.json
 *             (a tools/list result {"tools": [...]} or a JSON array of tools)
 * </pre>
 *
 * <p>Definitions are read as the SDK reads them (its {@code Tool} type), so a dump and a live server give the same
 * hashes. Tokens are read from the environment or a file, never from the command line, and never printed.
 * Descriptions are not printed either (they are in the pin file for review, and may hold the attack).
 *
 * <p>Exit codes: 0 success (no drift), 1 drift or a name conflict found by {@code verify}, 2 usage error, 3 failure
 * (file, network, server). Not thread-safe; one invocation per process.
 */
public final class ToolPinsCommand {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAGES = 100;
    private static final int MAX_DEFINITIONS_BYTES = 16 << 20;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final PrintStream out;
    private final PrintStream err;
    private final Function<String, String> environment;

    private ToolPinsCommand(PrintStream out, PrintStream err, Function<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System::getenv));
    }

    /** Runs one command; {@code environment} resolves {@code --token-env}. Returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, Function<String, String> environment) {
        return new ToolPinsCommand(out, err, environment).execute(args);
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private static final class FailureException extends Exception {
        private static final long serialVersionUID = 1L;

        FailureException(String message) {
            super(message);
        }
    }

    private int execute(String[] args) {
        try {
            if (args.length == 0) {
                throw new UsageException("a command is required: pin, verify, update");
            }
            Map<String, String> options = parse(args);
            Path pins = Path.of(required(options, "--pins"));
            String server = required(options, "--server");
            return switch (args[0]) {
                case "pin" -> pin(pins, server, options);
                case "verify" -> verify(pins, server, options);
                case "update" -> update(pins, server, options);
                default -> throw new UsageException("unknown command '" + ClientText.forLog(args[0], 40) + "'");
            };
        } catch (UsageException e) {
            err.println("usage error: " + e.getMessage());
            return 2;
        } catch (FailureException e) {
            err.println("error: " + e.getMessage());
            return 3;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 3;
        }
    }

    private static final Set<String> VALUED = Set.of("--pins", "--server", "--url", "--token-env", "--token-file",
            "--token-header", "--definitions");

    private static Map<String, String> parse(String[] args) throws UsageException {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--token")) {
                throw new UsageException("--token is not accepted: tokens are read with --token-env or --token-file, "
                        + "never from the command line");
            }
            if (!VALUED.contains(name)) {
                throw new UsageException("unexpected argument at position " + i);
            }
            if (i + 1 >= args.length) {
                throw new UsageException(name + " needs a value");
            }
            if (options.put(name, args[++i]) != null) {
                throw new UsageException(name + " is given twice");
            }
        }
        if (options.containsKey("--url") == options.containsKey("--definitions")) {
            throw new UsageException("exactly one of --url and --definitions is required");
        }
        if (options.containsKey("--token-env") && options.containsKey("--token-file")) {
            throw new UsageException("at most one of --token-env and --token-file");
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) throws UsageException {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new UsageException(name + " is required");
        }
        return value;
    }

    // ---------------------------------------------------------------- commands

    private int pin(Path pins, String server, Map<String, String> options)
            throws UsageException, FailureException, IOException {
        ToolPinFile file = Files.exists(pins) ? ToolPinFile.read(pins) : ToolPinFile.empty();
        if (file.servers().contains(server)) {
            throw new UsageException("server '" + ClientText.forLog(server) + "' is pinned already in " + pins
                    + "; review the drift with verify and accept it with update");
        }
        List<Map<String, Object>> definitions = definitions(options);
        file = withServer(file, server, definitions);
        file.write(pins);
        out.println("pinned " + definitions.size() + " tools of server '" + ClientText.forLog(server) + "' in " + pins);
        print(file.nameConflicts());
        return 0;
    }

    private int verify(Path pins, String server, Map<String, String> options) throws FailureException, IOException {
        ToolPinFile file = ToolPinFile.read(pins);
        List<Map<String, Object>> definitions = definitions(options);
        List<ToolPinFile.Change> changes = compare(file, server, definitions);
        List<ToolPinFile.NameConflict> conflicts = withServer(file, server, definitions).nameConflicts();
        if (changes.isEmpty() && conflicts.isEmpty()) {
            out.println("server '" + ClientText.forLog(server) + "': every tool matches its pin");
            return 0;
        }
        if (changes.isEmpty()) {
            out.println("server '" + ClientText.forLog(server) + "': every tool matches its pin");
        } else {
            print(server, changes);
        }
        print(conflicts);
        return 1;
    }

    private int update(Path pins, String server, Map<String, String> options) throws FailureException, IOException {
        ToolPinFile file = Files.exists(pins) ? ToolPinFile.read(pins) : ToolPinFile.empty();
        List<Map<String, Object>> definitions = definitions(options);
        List<ToolPinFile.Change> changes = compare(file, server, definitions);
        ToolPinFile updated = withServer(file, server, definitions);
        updated.write(pins);
        if (changes.isEmpty()) {
            out.println("server '" + ClientText.forLog(server) + "': no change");
        } else {
            print(server, changes);
            out.println("accepted " + changes.size() + " changes in " + pins);
        }
        print(updated.nameConflicts());
        return 0;
    }

    private static ToolPinFile withServer(ToolPinFile file, String server, List<Map<String, Object>> definitions)
            throws FailureException {
        try {
            return file.withServer(server, definitions);
        } catch (IllegalArgumentException e) {
            throw new FailureException(e.getMessage());
        }
    }

    private static List<ToolPinFile.Change> compare(ToolPinFile file, String server,
                                                    List<Map<String, Object>> definitions) throws FailureException {
        try {
            return file.compare(server, definitions);
        } catch (IllegalArgumentException e) {
            throw new FailureException(e.getMessage());
        }
    }

    private void print(String server, List<ToolPinFile.Change> changes) {
        out.println("server '" + ClientText.forLog(server) + "': " + changes.size() + " tools differ from their pins");
        for (ToolPinFile.Change change : changes) {
            String kind = change.kind().name().toLowerCase(java.util.Locale.ROOT);
            out.println("  " + kind + " " + ClientText.forLog(change.tool(), 128)
                    + (change.fields().isEmpty() ? "" : " (fields: " + String.join(", ", change.fields()) + ")"));
        }
    }

    /** The name conflicts of the file: each tool a guard would refuse, and the name it conflicts with. */
    private void print(List<ToolPinFile.NameConflict> conflicts) {
        if (conflicts.isEmpty()) {
            return;
        }
        out.println(conflicts.size() + " tool names conflict (a guard refuses each tool named first below with "
                + "tool_name_conflict; rename it):");
        for (ToolPinFile.NameConflict conflict : conflicts) {
            out.println("  " + conflict.kind() + " " + ClientText.forLog(conflict.server(), 128) + "/"
                    + ClientText.forLog(conflict.tool(), 128) + (conflict.otherTool().isEmpty() ? ""
                    : " with " + ClientText.forLog(conflict.otherServer(), 128) + "/"
                    + ClientText.forLog(conflict.otherTool(), 128)));
        }
    }

    // ---------------------------------------------------------------- sources

    private List<Map<String, Object>> definitions(Map<String, String> options) throws FailureException, IOException {
        List<McpSchema.Tool> tools = options.containsKey("--url") ? listed(options) : dumped(Path.of(
                options.get("--definitions")));
        List<Map<String, Object>> definitions = new ArrayList<>(tools.size());
        for (McpSchema.Tool tool : tools) {
            definitions.add(ToolDefinitions.definitionOf(tool).orElseThrow(() ->
                    new FailureException("a tool definition cannot be written as JSON")));
        }
        return definitions;
    }

    private static List<McpSchema.Tool> dumped(Path path) throws FailureException, IOException {
        if (Files.size(path) > MAX_DEFINITIONS_BYTES) {
            throw new FailureException(path + " is larger than " + MAX_DEFINITIONS_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new FailureException(path + " is not JSON");
        }
        JsonNode array = root != null && root.isObject() ? root.path("tools") : root;
        if (array == null || !array.isArray()) {
            throw new FailureException(path + " must hold a tools/list result {\"tools\": [...]} or an array of tools");
        }
        List<McpSchema.Tool> tools = new ArrayList<>();
        for (JsonNode node : array) {
            try {
                tools.add(JSON.treeToValue(node, McpSchema.Tool.class));
            } catch (IOException | IllegalArgumentException e) {
                throw new FailureException(path + ": item " + tools.size() + " is not an MCP tool definition");
            }
        }
        return tools;
    }

    private List<McpSchema.Tool> listed(Map<String, String> options) throws FailureException, IOException {
        URI url = URI.create(options.get("--url"));
        if (url.getScheme() == null || url.getHost() == null || !url.getScheme().matches("https?")) {
            throw new FailureException("--url must be an http(s) URL of the MCP endpoint");
        }
        String token = token(options);
        String header = options.getOrDefault("--token-header", "Authorization");
        String value = token == null ? null : header.equalsIgnoreCase("Authorization") ? "Bearer " + token : token;
        String base = url.getScheme() + "://" + url.getRawAuthority();
        String endpoint = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base)
                .endpoint(endpoint)
                .httpRequestCustomizer((request, method, uri, body, context) -> {
                    if (value != null) {
                        request.header(header, value);
                    }
                })
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(REQUEST_TIMEOUT).build();
        try {
            client.initialize();
            List<McpSchema.Tool> tools = new ArrayList<>();
            String cursor = null;
            for (int page = 0; page < MAX_PAGES; page++) {
                McpSchema.ListToolsResult result = client.listTools(cursor);
                tools.addAll(result.tools());
                cursor = result.nextCursor();
                if (cursor == null) {
                    return tools;
                }
            }
            throw new FailureException("the server's tools/list has more than " + MAX_PAGES + " pages");
        } catch (RuntimeException e) {
            // The class only: a transport's message can hold a response body.
            throw new FailureException("listing the tools of " + base + endpoint + " failed ("
                    + e.getClass().getSimpleName() + ")");
        } finally {
            client.closeGracefully();
        }
    }

    private String token(Map<String, String> options) throws FailureException, IOException {
        if (options.containsKey("--token-env")) {
            String token = environment.apply(options.get("--token-env"));
            if (token == null || token.isBlank()) {
                throw new FailureException("environment variable " + ClientText.forLog(options.get("--token-env"), 64)
                        + " is not set");
            }
            return token.strip();
        }
        if (options.containsKey("--token-file")) {
            String token = Files.readString(Path.of(options.get("--token-file")), StandardCharsets.UTF_8).strip();
            if (token.isEmpty()) {
                throw new FailureException("the token file is empty");
            }
            return token;
        }
        return null;
    }
}
