package dev.mcpguard.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real nginx as a reverse proxy on a free loopback port in front of one upstream, for variant C of
 * {@link EndToEndBenchmark}: HTTP/1.1 with a keep-alive connection pool to the upstream, no buffering (MCP's
 * Streamable HTTP answers may be event streams), no access log. It runs in the foreground as a child process with
 * a config and temp directories of its own, in single-process mode ({@code master_process off}): one event loop,
 * as one worker would be, and no privilege drop, so it runs the same as root or as a user. The binary comes from
 * {@code scripts/ensure-nginx.sh} unless given. Not thread-safe; close it once.
 */
final class LoopbackNginx implements AutoCloseable {

    /** Idle keep-alive connections nginx keeps to the upstream (more than the harness's clients). */
    static final int UPSTREAM_KEEPALIVE = 64;

    private final Process process;
    private final int port;
    private final Path dir;

    private LoopbackNginx(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /**
     * Starts nginx proxying {@code 127.0.0.1:<port>} to {@code upstream} and waits (up to 15 s) until it accepts
     * connections.
     *
     * @param binary the nginx executable
     * @param dir    an empty directory for its config, logs and temp files
     * @throws IOException when it does not start; the message carries nginx's error log
     */
    static LoopbackNginx start(Path binary, URI upstream, Path directory) throws IOException {
        Path dir = directory.toAbsolutePath(); // nginx resolves a relative -c against its prefix
        int port = freePort();
        Files.createDirectories(dir);
        Path config = dir.resolve("nginx.conf");
        Files.writeString(config, config(dir, port, upstream.getHost() + ":" + upstream.getPort()));
        Path errorLog = dir.resolve("error.log");
        // -e: the error log before the config is read, so nginx never touches /var/log/nginx.
        Process process = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c", config.toString(),
                "-e", errorLog.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        LoopbackNginx nginx = new LoopbackNginx(process, port, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("nginx exited with " + process.exitValue() + ": " + nginx.errorLog());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return nginx;
            } catch (IOException notYet) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        nginx.close();
        throw new IOException("nginx did not accept connections on port " + port + " within 15 s: "
                + nginx.errorLog());
    }

    /**
     * The nginx binary: {@code scripts/ensure-nginx.sh}'s answer (found or installed), or empty with the reason
     * on {@code why} when there is none.
     */
    static Optional<Path> locate(StringBuilder why) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/ensure-nginx.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            why.append("scripts/ensure-nginx.sh not found from ").append(Path.of("").toAbsolutePath())
                    .append("; run from the repository or pass --nginx PATH");
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder("bash", dir.resolve("scripts/ensure-nginx.sh").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).toList();
            if (p.waitFor() != 0 || lines.isEmpty()) {
                why.append("scripts/ensure-nginx.sh could not find or install nginx (exit ").append(p.exitValue())
                        .append(')');
                return Optional.empty();
            }
            Path binary = Path.of(lines.get(lines.size() - 1).trim());
            if (!Files.isExecutable(binary)) {
                why.append("scripts/ensure-nginx.sh named ").append(binary).append(", which is not executable");
                return Optional.empty();
            }
            return Optional.of(binary);
        } catch (IOException e) {
            why.append("cannot run scripts/ensure-nginx.sh: ").append(e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why.append("interrupted while running scripts/ensure-nginx.sh");
            return Optional.empty();
        }
    }

    /** The first line of {@code nginx -v}, e.g. {@code nginx version: nginx/1.22.1}, or why it is unknown. */
    static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "-v").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(10, TimeUnit.SECONDS);
            return text.lines().findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private String errorLog() {
        try {
            StringBuilder text = new StringBuilder();
            for (String name : List.of("error.log", "stdout.log")) {
                Path log = dir.resolve(name);
                if (Files.exists(log) && Files.size(log) > 0) {
                    text.append(text.length() == 0 ? "" : " / ").append(Files.readString(log).strip());
                }
            }
            return text.length() == 0 ? "(nothing in its logs)" : text.toString();
        } catch (IOException e) {
            return "(error log unreadable: " + e.getMessage() + ")";
        }
    }

    static String config(Path dir, int port, String upstream) {
        String d = dir.toAbsolutePath().toString();
        return """
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events {
                    worker_connections 1024;
                }
                http {
                    access_log off;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream mcp {
                        server %3$s;
                        keepalive %4$d;
                    }
                    server {
                        listen 127.0.0.1:%2$d;
                        location / {
                            proxy_pass http://mcp;
                            # Keep-alive to the upstream needs HTTP/1.1 and no "Connection: close".
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $http_host;
                            # Streamable HTTP answers may be event streams: pass bytes on as they come.
                            proxy_buffering off;
                            proxy_request_buffering off;
                            proxy_read_timeout 1h;
                        }
                    }
                }
                """.formatted(d, port, upstream, UPSTREAM_KEEPALIVE);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
