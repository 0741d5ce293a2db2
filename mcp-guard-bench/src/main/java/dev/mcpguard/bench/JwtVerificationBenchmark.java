package dev.mcpguard.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.identity.ClaimMapping;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One bearer JWT authentication by {@link JwtIdentityResolver} (RS256, 2048-bit key, Keycloak-shaped claims, a
 * fixed key set so no HTTP is measured): the same token presented again, served from the cache of verified tokens,
 * against the same resolver with the cache off ({@code verifiedTokenCacheSize(0)}), which is what every request
 * cost before the cache.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar JwtVerification}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class JwtVerificationBenchmark {

    private static final String ISSUER = "https://login.example.com/realms/acme";
    private static final String RESOURCE = "https://orders.example.com/mcp";

    private JwtIdentityResolver cached;
    private JwtIdentityResolver uncached;
    private PresentedCredential token;

    @Setup
    public void setUp() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
        cached = resolver(key).build();
        uncached = resolver(key).verifiedTokenCacheSize(0).build();
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject("alice").audience(RESOURCE)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(8))))
                .jwtID(UUID.randomUUID().toString())
                .claim("azp", "support-agent").claim("typ", "Bearer").claim("tid", "acme")
                .claim("scope", "openid orders:read orders:write")
                .claim("realm_access", Map.of("roles", List.of("order-viewer", "offline_access")))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1")
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        token = new PresentedCredential.BearerToken(Secret.ofUtf8(jwt.serialize()));
        if (!(cached.resolve(token) instanceof IdentityResult.Authenticated)
                || !(uncached.resolve(token) instanceof IdentityResult.Authenticated)) {
            throw new IllegalStateException("benchmark token not accepted");
        }
    }

    private static JwtIdentityResolver.Builder resolver(RSAKey key) {
        return JwtIdentityResolver.builder().issuer(ISSUER).audience(RESOURCE).jwkSet(new JWKSet(key))
                .claimMapping(ClaimMapping.keycloak());
    }

    @Benchmark
    public IdentityResult cachedToken() {
        return cached.resolve(token);
    }

    @Benchmark
    public IdentityResult verifiedEveryTime() {
        return uncached.resolve(token);
    }

    @Benchmark
    @Threads(2)
    public IdentityResult cachedTokenTwoThreads() {
        return cached.resolve(token);
    }
}
