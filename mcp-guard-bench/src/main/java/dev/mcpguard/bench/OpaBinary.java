package dev.mcpguard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the pinned {@code opa} CLI as the tests do: {@code scripts/ensure-opa.sh} (from the working directory
 * up), then {@code $OPA_BIN}, then {@code ${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}/opa-v1.22.2/bin/opa}.
 */
final class OpaBinary {

    private OpaBinary() {
    }

    static Path locate() throws IOException, InterruptedException {
        List<String> tried = new ArrayList<>();
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("scripts/ensure-opa.sh");
            if (Files.isRegularFile(script)) {
                Process process = new ProcessBuilder("bash", script.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String[] lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .strip().split("\n");
                if (process.waitFor() == 0 && Files.isExecutable(Path.of(lines[lines.length - 1].strip()))) {
                    return Path.of(lines[lines.length - 1].strip());
                }
                tried.add(script.toString());
                break;
            }
        }
        String env = System.getenv("OPA_BIN");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        tried.add("$OPA_BIN");
        String tools = System.getenv("MCP_GUARD_TOOLS");
        Path base = tools != null ? Path.of(tools) : Path.of(System.getProperty("user.home"), ".cache", "mcp-guard");
        Path binary = base.resolve("opa-v1.22.2/bin/opa");
        if (Files.isExecutable(binary)) {
            return binary;
        }
        tried.add(binary.toString());
        throw new IllegalStateException("no opa binary; tried " + tried);
    }
}
