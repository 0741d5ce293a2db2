package dev.mcpguard.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Locates an external program by running its {@code scripts/ensure-<name>.sh} once per JVM and reading the last
 * line of its output.
 */
public final class ExternalTool {

    private static final ConcurrentHashMap<String, String> FOUND = new ConcurrentHashMap<>();

    private ExternalTool() {
    }

    /** The last stdout line of {@code scripts/ensure-<name>.sh}. */
    public static String ensure(String name) {
        return FOUND.computeIfAbsent(name, ExternalTool::run);
    }

    /** The repository root: the nearest ancestor of the working directory holding {@code scripts/}. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("scripts"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no scripts/ directory above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Runs {@code command}, returning stdout; fails with stderr on a non-zero exit. */
    public static String exec(List<String> command, long timeoutSeconds) {
        try {
            Path err = Files.createTempFile("mcp-guard-exec", ".err");
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + timeoutSeconds + " s");
            }
            String stderr = Files.readString(err);
            Files.deleteIfExists(err);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " exited " + p.exitValue() + ": " + stderr);
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(command + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops {@code process}: SIGTERM, up to 10 s to exit, then SIGKILL and up to 10 s more. */
    public static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static String run(String name) {
        Path script = repositoryRoot().resolve("scripts").resolve("ensure-" + name + ".sh");
        String out = exec(List.of("bash", script.toString()), 900).strip();
        return out.substring(out.lastIndexOf('\n') + 1).strip();
    }
}
