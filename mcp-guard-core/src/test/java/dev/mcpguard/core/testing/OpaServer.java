package dev.mcpguard.core.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code opa run --server} on 127.0.0.1 and a free port, for tests; started ready ({@code /health} answers
 * 200) and stopped by {@link #close()}.
 */
public final class OpaServer implements AutoCloseable {

    private final Process process;
    private final URI baseUri;
    private final Path log;

    private OpaServer(Process process, URI baseUri, Path log) {
        this.process = process;
        this.baseUri = baseUri;
        this.log = log;
    }

    /** Starts OPA serving the bundle directory {@code bundle} (its {@code .manifest} revision is reported). */
    public static OpaServer startWithBundle(Path bundle) {
        return start(List.of("--bundle", bundle.toString()));
    }

    /** Starts OPA loading {@code paths} as plain policy and data files (no bundle, no revision). */
    public static OpaServer startWithFiles(Path... paths) {
        List<String> args = new ArrayList<>();
        for (Path path : paths) {
            args.add(path.toString());
        }
        return start(args);
    }

    private static OpaServer start(List<String> sources) {
        try {
            int port = freePort();
            Path log = Files.createTempFile("opa-server", ".log");
            List<String> command = new ArrayList<>(List.of(OpaBinary.locate().toString(), "run", "--server",
                    "--addr", "127.0.0.1:" + port, "--log-level", "error", "--disable-telemetry"));
            command.addAll(sources);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            OpaServer server = new OpaServer(process, URI.create("http://127.0.0.1:" + port), log);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
            HttpRequest health = HttpRequest.newBuilder(server.baseUri.resolve("/health"))
                    .timeout(Duration.ofMillis(500)).GET().build();
            try {
                Eventually.within(Duration.ofSeconds(30), "OPA /health on port " + port, () -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("opa exited with " + process.exitValue() + ": " + server.logText());
                    }
                    try {
                        return client.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    } catch (IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
            } catch (RuntimeException | AssertionError e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start opa", e);
        }
    }

    /** A TCP port free at the time of the call. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    public URI baseUri() {
        return baseUri;
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops the server and waits for it to exit. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
