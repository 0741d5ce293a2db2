package dev.mcpguard.core.policy.opa;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.Secret;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP bundle source against a real loopback HTTP server. */
class HttpsBundleSourceTest {

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    HttpServer server;
    final AtomicReference<Handler> handler = new AtomicReference<>();
    final List<String> ifNoneMatch = new CopyOnWriteArrayList<>();
    final List<String> authorization = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/bundle.tar.gz", exchange -> {
            try (exchange) {
                String etag = exchange.getRequestHeaders().getFirst("If-None-Match");
                ifNoneMatch.add(etag == null ? "-" : etag);
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                authorization.add(auth == null ? "-" : auth);
                handler.get().handle(exchange);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        server.stop(0);
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/bundle.tar.gz");
    }

    private HttpsBundleSource source() {
        return HttpsBundleSource.builder(uri()).allowInsecureLoopbackForTesting()
                .requestTimeout(Duration.ofSeconds(10)).build();
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, String etag) throws IOException {
        if (etag != null) {
            exchange.getResponseHeaders().add("ETag", etag);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void fetchesTheBundleThenSendsItsEtagAndTreats304AsUnchanged() throws Exception {
        byte[] bundle = "bundle-v1".getBytes(UTF_8);
        handler.set(exchange -> {
            if ("\"v1\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                respond(exchange, 304, new byte[0], "\"v1\"");
            } else {
                respond(exchange, 200, bundle, "\"v1\"");
            }
        });
        HttpsBundleSource source = source();

        assertThat(source.fetchIfChanged()).hasValueSatisfying(b -> assertThat(b).isEqualTo(bundle));
        source.accepted(); // the engine loaded it
        assertThat(source.fetchIfChanged()).isEmpty();
        assertThat(ifNoneMatch).containsExactly("-", "\"v1\"");
    }

    @Test
    void doesNotRememberTheEtagOfADownloadTheEngineDidNotAccept() throws Exception {
        handler.set(exchange -> respond(exchange, 200, "bundle-v1".getBytes(UTF_8), "\"v1\""));
        HttpsBundleSource source = source();

        assertThat(source.fetchIfChanged()).isPresent();
        assertThat(source.fetchIfChanged()).isPresent();

        assertThat(ifNoneMatch).containsExactly("-", "-");
    }

    @Test
    void anEngineDownloadsAgainABundleItRejectedAlthoughTheServerKeptItsEtag(@TempDir Path dir) throws Exception {
        TestBundles bundles = new TestBundles(dir);
        TestBundles.SigningKey key = bundles.ecKey("etag");
        byte[] good = bundles.build("parity-even", "v1", key);
        byte[] tampered = TestBundles.repack(good, files -> {
            files.put("/data.json", "{\"smuggled\": true}".getBytes(UTF_8));
            return files;
        });
        AtomicReference<byte[]> served = new AtomicReference<>(tampered);
        handler.set(exchange -> {
            if ("\"v1\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                respond(exchange, 304, new byte[0], "\"v1\"");
            } else {
                respond(exchange, 200, served.get(), "\"v1\"");
            }
        });
        try (OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(source())
                .verification(BundleVerification.publicKey(key.publicPem())).poolSize(1).build()) {

            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
            served.set(good); // e.g. the first download was corrupted on the way, or the server was fixed
            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.UNCHANGED);

            assertThat(engine.currentRevision()).contains("v1");
            assertThat(ifNoneMatch).containsExactly("-", "-", "\"v1\"");
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS) // a safety net against a hang, not a latency assertion
    void failsWhenTheBodyTricklesPastTheRequestTimeout() {
        handler.set(exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write(new byte[10]);
            exchange.getResponseBody().flush();
            awaitRelease(); // the rest of the body never comes while the client waits
            exchange.getResponseBody().write(new byte[990]);
        });
        HttpsBundleSource source = HttpsBundleSource.builder(uri()).allowInsecureLoopbackForTesting()
                .requestTimeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(source::fetchIfChanged).isInstanceOf(BundleException.class)
                .hasMessageContaining("did not deliver the bundle within 300 ms");
    }

    @Test
    void rejectsABodyDeclaredOverTheSizeLimitWithoutReadingIt() {
        handler.set(exchange -> {
            exchange.sendResponseHeaders(200, 1_000_000);
            awaitRelease(); // the body is never needed
        });
        HttpsBundleSource source = HttpsBundleSource.builder(uri()).allowInsecureLoopbackForTesting().maxBytes(1024).build();

        assertThatThrownBy(source::fetchIfChanged).isInstanceOf(BundleException.class).hasMessageContaining("limit of 1024");
    }

    private void awaitRelease() {
        try {
            release.await(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void reportsAServerErrorWithItsStatus() {
        handler.set(exchange -> respond(exchange, 500, "boom".getBytes(UTF_8), null));

        assertThatThrownBy(() -> source().fetchIfChanged()).isInstanceOf(BundleException.class)
                .hasMessageContaining("HTTP 500");
    }

    @Test
    void rejectsATruncatedBody() {
        handler.set(exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write(new byte[10]);
            exchange.getResponseBody().flush();
            exchange.close(); // the connection ends 990 bytes early
        });

        assertThatThrownBy(() -> source().fetchIfChanged()).isInstanceOf(BundleException.class);
    }

    @Test
    void rejectsABodyOverTheSizeLimit() {
        handler.set(exchange -> respond(exchange, 200, new byte[4096], null));
        HttpsBundleSource source = HttpsBundleSource.builder(uri()).allowInsecureLoopbackForTesting().maxBytes(1024).build();

        assertThatThrownBy(source::fetchIfChanged).isInstanceOf(BundleException.class).hasMessageContaining("limit of 1024");
    }

    @Test
    void doesNotFollowRedirects() {
        handler.set(exchange -> {
            exchange.getResponseHeaders().add("Location", "https://elsewhere.example/bundle.tar.gz");
            respond(exchange, 302, new byte[0], null);
        });

        assertThatThrownBy(() -> source().fetchIfChanged()).hasMessageContaining("HTTP 302");
    }

    @Test
    void refusesToSendABearerTokenOverPlainHttp() throws Exception {
        assertThatThrownBy(() -> HttpsBundleSource.builder(uri()).allowInsecureLoopbackForTesting()
                .bearerToken(Secret.ofUtf8("s3cr3t")).build()).hasMessageContaining("plain http");
    }

    @Test
    void requiresHttpsExceptForLoopbackWithTheTestingFlag() {
        assertThatThrownBy(() -> HttpsBundleSource.builder(uri()).build()).hasMessageContaining("must use https");
        assertThatThrownBy(() -> HttpsBundleSource.builder(URI.create("http://bundles.example.com/b.tar.gz"))
                .allowInsecureLoopbackForTesting().build()).hasMessageContaining("must use https");
        assertThatThrownBy(() -> HttpsBundleSource.builder(URI.create("http://localhost.example.com/b.tar.gz"))
                .allowInsecureLoopbackForTesting().build()).hasMessageContaining("must use https");
        assertThatThrownBy(() -> HttpsBundleSource.builder(URI.create("ftp://bundles.example.com/b.tar.gz")).build())
                .hasMessageContaining("must use https");
        assertThatThrownBy(() -> HttpsBundleSource.builder(URI.create("https://user:pw@bundles.example.com/b.tar.gz")))
                .hasMessageContaining("credentials").message().doesNotContain("pw");
        assertThat(HttpsBundleSource.builder(URI.create("https://bundles.example.com/b.tar.gz?sig=abc")).build().describe())
                .isEqualTo("https://bundles.example.com/b.tar.gz");
    }

    @Test
    void anEngineLoadsASignedBundleServedOverHttp(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TestBundles bundles = new TestBundles(dir);
        TestBundles.SigningKey key = bundles.ecKey("http");
        byte[] bundle = bundles.build("parity-even", "served-1", key);
        handler.set(exchange -> respond(exchange, 200, bundle, "\"served-1\""));
        try (OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(source())
                .verification(BundleVerification.publicKey(key.publicPem())).poolSize(1).build()) {

            assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            assertThat(engine.currentRevision()).contains("served-1");
        }
    }
}
