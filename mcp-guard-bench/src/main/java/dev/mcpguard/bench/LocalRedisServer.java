package dev.mcpguard.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, for the benchmarks that need Redis.
 * The binary comes from {@code scripts/ensure-redis.sh}, so run benchmarks from inside the repository.
 * Not thread-safe; close it in {@code @TearDown}.
 */
final class LocalRedisServer implements AutoCloseable {

    private final Process process;
    private final int port;

    private LocalRedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the server and waits (up to 15 s) until it answers PING. */
    static LocalRedisServer start() throws IOException, InterruptedException {
        int port = freePort();
        Process process = new ProcessBuilder(redisBinary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        LocalRedisServer server = new LocalRedisServer(process, port);
        try {
            server.awaitPing();
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The server's URI, for Lettuce: {@code redis://127.0.0.1:<port>}. */
    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    private static String redisBinary() throws IOException, InterruptedException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/ensure-redis.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IOException("scripts/ensure-redis.sh not found; run from the repository");
        }
        Process p = new ProcessBuilder("bash", dir.resolve("scripts/ensure-redis.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.isBlank()).toList();
        if (p.waitFor() != 0 || lines.isEmpty()) {
            throw new IOException("scripts/ensure-redis.sh failed");
        }
        return lines.get(lines.size() - 1).trim();
    }

    private void awaitPing() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] b = new byte[5];
                if (s.getInputStream().read(b) > 0) {
                    return;
                }
            } catch (IOException notYet) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        throw new IOException("redis-server did not start on port " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
