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

    /**
     * Starts OPA serving the bundle directory {@code bundle} with console decision logs on
     * ({@code decision_logs.console=true}): each decision's event is a line of {@link #logText()}.
     */
    public static OpaServer startWithBundleLoggingDecisions(Path bundle) {
        return start(List.of("--set", "decision_logs.console=true", "--bundle", bundle.toString()));
    }

    /** Starts OPA loading {@code paths} as plain policy and data files (no bundle, no revision). */
    public static OpaServer startWithFiles(Path... paths) {
        List<String> args = new ArrayList<>();
        for (Path path : paths) {
            args.add(path.toString());
        }
        return start(args);
    }

    /**
     * Starts opa on a port that was free a moment ago. Another process (a parallel build on the same machine) may
     * take that port first: opa then exits with "address already in use" and, since a foreign server on the port
     * could answer {@code /health} for it, the start only counts when our process is still alive after a healthy
     * answer. A lost race is retried on a new port.
     */
    private static OpaServer start(List<String> sources) {
        IllegalStateException lastLostRace = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return startOnce(sources);
            } catch (PortTaken e) {
                lastLostRace = new IllegalStateException("opa lost the race for a free port: " + e.getMessage());
            }
        }
        throw lastLostRace;
    }

    /** opa could not bind the port it was given. */
    private static final class PortTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortTaken(String log) {
            super(log, null, false, false);
        }
    }

    private static OpaServer startOnce(List<String> sources) {
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
                        String text = server.logText();
                        if (text.contains("address already in use")) {
                            throw new PortTaken(text);
                        }
                        throw new IllegalStateException("opa exited with " + process.exitValue() + ": " + text);
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
                // A healthy answer from a server that took our port first: ours exits on its failed bind.
                if (process.waitFor(300, TimeUnit.MILLISECONDS)) {
                    String text = server.logText();
                    throw text.contains("address already in use") ? new PortTaken(text)
                            : new IllegalStateException("opa exited with " + process.exitValue() + ": " + text);
                }
            } catch (RuntimeException | AssertionError e) {
                server.close();
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.close();
                throw new IllegalStateException("interrupted while starting opa", e);
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
        ExternalTool.stop(process);
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
