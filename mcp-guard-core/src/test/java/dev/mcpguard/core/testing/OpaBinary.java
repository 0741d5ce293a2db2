package dev.mcpguard.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds the real {@code opa} binary for tests, once per JVM: first {@code scripts/ensure-opa.sh} (which installs
 * it if needed and prints its path last), then {@code $OPA_BIN}, then the usual cache path. Fails the test with
 * a clear message when none works.
 */
public final class OpaBinary {

    private static final Path CACHED = Path.of(System.getProperty("user.home"), ".cache", "mcp-guard",
            "opa-v1.22.2", "bin", "opa");
    private static Path located;

    private OpaBinary() {
    }

    public static synchronized Path locate() {
        if (located == null) {
            located = find();
        }
        return located;
    }

    /** Runs {@code opa} with {@code args} in {@code workDir}; fails with OPA's output when it exits non-zero. */
    public static String run(Path workDir, List<String> args) {
        List<String> command = new java.util.ArrayList<>();
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

    private static Path find() {
        StringBuilder tried = new StringBuilder();
        Path script = findScript();
        if (script != null) {
            try {
                Process process = new ProcessBuilder("bash", script.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (process.waitFor(600, TimeUnit.SECONDS) && process.exitValue() == 0 && !output.isEmpty()) {
                    Path path = Path.of(output.substring(output.lastIndexOf('\n') + 1).strip());
                    if (Files.isExecutable(path)) {
                        return path;
                    }
                }
                tried.append(script).append(" did not print an executable path; ");
            } catch (IOException e) {
                tried.append(script).append(" could not run: ").append(e.getMessage()).append("; ");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted locating opa", e);
            }
        } else {
            tried.append("no scripts/ensure-opa.sh found; ");
        }
        String env = System.getenv("OPA_BIN");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        tried.append("$OPA_BIN ").append(env == null ? "unset" : env + " is not executable").append("; ");
        if (Files.isExecutable(CACHED)) {
            return CACHED;
        }
        tried.append(CACHED).append(" missing");
        throw new IllegalStateException("These tests need the real opa binary and none was found: " + tried);
    }

    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("scripts").resolve("ensure-opa.sh");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        return null;
    }
}
