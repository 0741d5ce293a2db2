package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.CredentialProvider.CredentialRequest;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.credentials.CredentialKey;
import dev.mcpguard.core.credentials.CredentialKeyset;
import dev.mcpguard.core.credentials.CredentialMaterial;
import dev.mcpguard.core.credentials.FileCredentialRepository;
import dev.mcpguard.core.credentials.StoredCredential;
import dev.mcpguard.core.credentials.StoredCredentialProvider;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What it costs a tool handler to get a downstream credential: read the record from the embedded file store
 * (its in-memory copy, plus the stat that notices outside changes), AES256-GCM decrypt bound to the identity,
 * decode; and the same through the provider, for a static secret and for a fresh OAuth access token (no refresh).
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar CredentialDecrypt}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CredentialDecryptBenchmark {

    private static final CredentialKey STATIC = CredentialKey.ofService("*", "orders", "crm-api", "orders");
    private static final CredentialKey OAUTH = CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders");

    private Path dir;
    private TinkCredentialStore store;
    private StoredCredentialProvider provider;
    private CredentialRequest staticRequest;
    private CredentialRequest oauthRequest;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("mcp-guard-bench-credentials");
        store = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.inMemory(), Clock.systemUTC());
        store.put(STATIC, new CredentialMaterial.StaticSecret(Secret.ofUtf8("k".repeat(40))));
        store.put(OAUTH, new CredentialMaterial.OAuthGrant(CredentialMaterial.GrantType.REFRESH_TOKEN,
                URI.create("https://as.example/token"), "orders-mcp", Optional.of(Secret.ofUtf8("s".repeat(32))),
                Optional.of(Secret.ofUtf8("a".repeat(900))), Optional.of(Secret.ofUtf8("r".repeat(64))),
                Optional.of(Instant.now().plus(365, ChronoUnit.DAYS)), Set.of("repo"), Optional.empty()));
        provider = StoredCredentialProvider.builder(store).build();
        CallerIdentity alice = CallerIdentity.builder("https://issuer.test", "alice").tenant("acme").build();
        staticRequest = new CredentialRequest(alice, "orders", "notify_crm", "crm-api");
        oauthRequest = new CredentialRequest(alice, "orders", "list_repos", "github");
    }

    @TearDown
    public void tearDown() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public StoredCredential storeReadStaticSecret() {
        return store.read(STATIC).orElseThrow();
    }

    @Benchmark
    public CredentialLease providerStaticSecret() throws CredentialUnavailableException {
        return provider.obtain(staticRequest);
    }

    @Benchmark
    public CredentialLease providerFreshOAuthToken() throws CredentialUnavailableException {
        return provider.obtain(oauthRequest);
    }
}
