package dev.mcpguard.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds the {@code opa} executable for tests, once per JVM: {@code scripts/ensure-opa.sh} of this repository
 * (installs it if missing and prints its path last), then {@code $OPA_BIN}, then the default tools directory
 * {@code ${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}/opa-v1.22.2/bin/opa}. Fails with the places it tried.
 */
public final class OpaBinary {

    private static final String VERSION_DIR = "opa-v1.22.2";
    private static volatile Path located;

    private OpaBinary() {
    }

    public static synchronized Path locate() {
        if (located != null) {
            return located;
        }
        List<String> tried = new ArrayList<>();
        Optional<Path> found = fromScript(tried).or(() -> fromEnvironment(tried)).or(() -> fromToolsDir(tried));
        located = found.orElseThrow(() -> new IllegalStateException(
                "No opa binary found; tried: " + String.join("; ", tried)));
        return located;
    }

    /** Runs {@code opa} with {@code args} in {@code workDir}; fails with OPA's output when it exits non-zero. */
    public static String run(Path workDir, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(locate().toString());
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("opa " + args + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run opa", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running opa", e);
        }
    }

    /**
     * An embedded engine over the Rego in {@code policyDir}, built to wasm by this {@code opa} in {@code workDir}
     * (entrypoint {@code mcp/authz/decision}, revision {@code r1}, unsigned) and loaded: for tests that need a
     * real policy and not its build options.
     */
    public static dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine wasmEngine(Path workDir, Path policyDir) {
        Path bundle = workDir.resolve("policy.tar.gz");
        run(workDir, List.of("build", "-t", "wasm", "-e", "mcp/authz/decision", "--revision", "r1",
                "-b", policyDir.toString(), "-o", bundle.toString()));
        dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine engine = dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine
                .builder().warmUp(java.time.Duration.ZERO).poolSize(1)
                .bundleSource(dev.mcpguard.core.policy.opa.BundleSource.file(bundle))
                .verification(dev.mcpguard.core.policy.opa.BundleVerification.insecureUnsigned()).build();
        engine.pollNow();
        return engine;
    }

    /** The repository root: the nearest ancestor of the working directory holding a {@code scripts} or {@code .git}. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("scripts")) || Files.exists(p.resolve(".git"))) {
                return p;
            }
        }
        return dir;
    }

    private static Optional<Path> fromScript(List<String> tried) {
        Path script = repositoryRoot().resolve("scripts/ensure-opa.sh");
        if (!Files.isRegularFile(script)) {
            tried.add(script + " (absent)");
            return Optional.empty();
        }
        try {
            Process process = new ProcessBuilder("bash", script.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(15, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                tried.add(script + " (failed)");
                return Optional.empty();
            }
            String[] lines = output.strip().split("\n");
            Path binary = Path.of(lines[lines.length - 1].strip());
            return executable(binary, script.toString(), tried);
        } catch (IOException e) {
            tried.add(script + " (" + e.getMessage() + ")");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        }
    }

    private static Optional<Path> fromEnvironment(List<String> tried) {
        String value = System.getenv("OPA_BIN");
        if (value == null || value.isBlank()) {
            tried.add("$OPA_BIN (unset)");
            return Optional.empty();
        }
        return executable(Path.of(value), "$OPA_BIN", tried);
    }

    private static Optional<Path> fromToolsDir(List<String> tried) {
        String tools = System.getenv("MCP_GUARD_TOOLS");
        Path base = tools != null && !tools.isBlank()
                ? Path.of(tools) : Path.of(System.getProperty("user.home"), ".cache", "mcp-guard");
        Optional<Path> found = executable(base.resolve(VERSION_DIR).resolve("bin/opa"), "tools dir", tried);
        return found.or(() -> executable(Path.of("/root/.cache/mcp-guard", VERSION_DIR, "bin/opa"), "root tools dir", tried));
    }

    private static Optional<Path> executable(Path binary, String source, List<String> tried) {
        if (Files.isRegularFile(binary) && Files.isExecutable(binary)) {
            return Optional.of(binary.toAbsolutePath());
        }
        tried.add(source + ": " + binary + " (not an executable file)");
        return Optional.empty();
    }
}
