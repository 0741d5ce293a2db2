package dev.mcpguard.spring;

import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.audit.Slf4jAuditSink;
import dev.mcpguard.core.credentials.CredentialGuard;
import dev.mcpguard.core.guardrails.Guardrails;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.identity.ClaimMapping;
import dev.mcpguard.core.identity.IdentityResolvers;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.HttpsBundleSource;
import dev.mcpguard.core.policy.opa.OpaRemotePolicyEngine;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.session.RedisRevocationList;
import dev.mcpguard.core.session.RevocationList;
import dev.mcpguard.core.throttle.RateLimit;
import dev.mcpguard.core.throttle.RedisRateLimitStore;
import dev.mcpguard.core.throttle.StoreFailureMode;
import dev.mcpguard.core.throttle.TokenBucketThrottle;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.ai.mcp.customizer.McpAsyncServerCustomizer;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerStatelessAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerProperties;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerStreamableHttpProperties;
import org.springframework.ai.mcp.server.webmvc.autoconfigure.McpServerStatelessWebMvcAutoConfiguration;
import org.springframework.ai.mcp.server.webmvc.autoconfigure.McpServerStreamableHttpWebMvcAutoConfiguration;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStatelessServerTransport;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStreamableServerTransportProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.util.ClassUtils;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.Ordered;
import org.springframework.core.io.Resource;
import org.springframework.web.servlet.function.ServerRequest;
import tools.jackson.databind.json.JsonMapper;

/**
 * Guards a Spring AI 2.0 MCP server (WebMVC, Streamable HTTP or stateless, sync or async) with mcp-guard, from
 * {@link McpGuardProperties} ({@code mcp.guard.*}), with no code in the application:
 * <ul>
 *   <li>an {@link McpGuard} (the chain: audit, identity, session, arguments, policy, obligations, throttle,
 *       credentials), from a {@link PolicyEngine}, {@link AuditSink}, {@link SessionRegistry}, {@link Throttle}
 *       and, when the application has one, a {@link CredentialGuard}; each a bean of the application's if it
 *       declares one, else built from properties;</li>
 *   <li>every tool Spring AI registers is guarded and {@code tools/list} filtered by the same policy
 *       ({@code GuardingToolsPostProcessor}); Spring AI's own server customizers still run;</li>
 *   <li>the WebMVC transport gets mcp-guard's context extractor, and the server the guarded transport (resource,
 *       prompt and completion requests through the chain, audit of unknown tools, SDK log hygiene);</li>
 *   <li>mcp-guard's HTTP filter in front of the MCP endpoint (JWTs of the configured issuers, routed by exact
 *       {@code iss}, with RFC 7662 introspection where configured; API keys; 401 with RFC 9728 metadata; session
 *       binding; request limits; CORS for {@code mcp.guard.cors.allowed-origins}; 400 for an
 *       {@code MCP-Protocol-Version} the WebMVC transport does not support).</li>
 * </ul>
 * Every bean backs off when the application declares one of the same type; {@code mcp.guard.enabled=false}
 * turns all of it off, and so does {@code spring.ai.mcp.server.enabled=false} (no Spring AI server to guard; an
 * application that builds its own server and {@code McpGuard} still gets the actuator parts). Start-up fails, naming the property, on a bad or missing setting, and on an MCP SDK set
 * other than the one mcp-guard is built with ({@link McpSdkVersionCheck}).
 */
@AutoConfiguration(before = {McpServerAutoConfiguration.class, McpServerStatelessAutoConfiguration.class,
        McpServerStreamableHttpWebMvcAutoConfiguration.class, McpServerStatelessWebMvcAutoConfiguration.class})
@ConditionalOnClass({McpGuard.class, McpSchema.class, WebMvcStreamableServerTransportProvider.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = McpGuardProperties.PREFIX, name = "enabled", havingValue = "true",
        matchIfMissing = true)
@ConditionalOnBooleanProperty(prefix = McpServerProperties.CONFIG_PREFIX, name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties({McpGuardProperties.class, McpServerProperties.class,
        McpServerStreamableHttpProperties.class})
public class McpGuardAutoConfiguration {

    /** The SDK set on the class path is the one mcp-guard is built with, or start-up fails. */
    @Bean
    @ConditionalOnMissingBean
    static McpSdkVersionCheck mcpGuardSdkVersionCheck() {
        ClassLoader loader = McpGuardAutoConfiguration.class.getClassLoader();
        return McpSdkVersionCheck.of(loader).verify(loader);
    }

    /** Guards Spring AI's tool lists and wraps its server customizers. */
    @Bean
    static GuardingToolsPostProcessor mcpGuardToolsPostProcessor(ObjectProvider<McpGuard> guard) {
        return new GuardingToolsPostProcessor(guard::getObject);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean({PolicyEngine.class, McpGuardPolicy.class})
    McpGuardPolicy mcpGuardPolicy(McpGuardProperties properties, ApplicationContext context) {
        McpGuardProperties.Policy policy = properties.policy();
        if (policy.remote().enabled()) {
            OpaRemotePolicyEngine.Builder remote = OpaRemotePolicyEngine.builder(policy.remote().url().orElseThrow())
                    .decisionPath(policy.remote().decisionPath());
            if (isLoopback(policy.remote().url().get())) {
                remote.allowPlainHttpOnLoopback();
            }
            return new McpGuardPolicy(ResilientPolicyEngine.ofDefaults(remote.build()), Optional.empty());
        }
        String bundle = policy.bundle().orElseThrow(() -> new InvalidConfigurationPropertyValueException(
                "mcp.guard.policy.bundle", null, "required: the signed OPA bundle (classpath:, file: or https://), "
                + "unless mcp.guard.policy.remote.enabled=true or the application declares a PolicyEngine bean"));
        String publicKey = read(context, policy.publicKey().orElseThrow(() ->
                new InvalidConfigurationPropertyValueException("mcp.guard.policy.public-key", null,
                        "required with mcp.guard.policy.bundle: the PEM key the bundle's signature verifies with")),
                "mcp.guard.policy.public-key");
        BundleSource source;
        boolean poll = true;
        if (bundle.startsWith("classpath:")) {
            source = BundleSource.classpath(bundle.substring("classpath:".length()).replaceFirst("^/", ""),
                    context.getClassLoader());
            poll = false;
        } else if (bundle.startsWith("file:")) {
            try {
                source = BundleSource.file(context.getResource(bundle).getFile().toPath());
            } catch (IOException e) {
                throw new InvalidConfigurationPropertyValueException("mcp.guard.policy.bundle", bundle,
                        "not a file: " + e.getMessage());
            }
        } else {
            source = HttpsBundleSource.builder(URI.create(bundle)).build();
        }
        OpaWasmPolicyEngine.Builder builder = OpaWasmPolicyEngine.builder().bundleSource(source)
                .verification(BundleVerification.publicKey(publicKey));
        try {
            builder.acceptDivergentBuiltins(policy.acceptDivergentBuiltins());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException("mcp.guard.policy.accept-divergent-builtins",
                    policy.acceptDivergentBuiltins(), e.getMessage());
        }
        try {
            builder.evaluationDeadline(policy.evaluationDeadline());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException("mcp.guard.policy.evaluation-deadline",
                    policy.evaluationDeadline(), e.getMessage());
        }
        try {
            builder.warmUp(policy.warmUp());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException("mcp.guard.policy.warm-up", policy.warmUp(),
                    e.getMessage());
        }
        OpaWasmPolicyEngine engine = builder.build();
        ResilientPolicyEngine resilient = ResilientPolicyEngine.ofDefaults(engine);
        engine.onBundleChange(resilient::onBundleChange);
        OpaWasmPolicyEngine.LoadOutcome outcome = poll ? engine.startPolling(policy.pollInterval()) : engine.pollNow();
        if (outcome != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            String why = engine.lastLoadError().orElse(outcome.toString());
            engine.close();
            throw new InvalidConfigurationPropertyValueException("mcp.guard.policy.bundle", bundle,
                    "the bundle did not load (" + why + "); the server does not run without its policy");
        }
        return new McpGuardPolicy(resilient, Optional.of(engine));
    }

    @Bean
    @ConditionalOnMissingBean
    AuditSink mcpGuardAuditSink(McpGuardProperties properties) {
        if (properties.audit().file().isEmpty()) {
            return new Slf4jAuditSink();
        }
        try {
            return JsonlFileAuditSink.builder(properties.audit().path().get()).build();
        } catch (IOException e) {
            throw new InvalidConfigurationPropertyValueException("mcp.guard.audit.file",
                    properties.audit().file().get(), "cannot open it for appending: " + e.getMessage());
        }
    }

    @Bean
    @ConditionalOnMissingBean
    SessionRegistry mcpGuardSessionRegistry(McpGuardProperties properties, ObjectProvider<Clock> clock,
                                            ObjectProvider<RevocationList> revocations) {
        InMemorySessionRegistry.Builder registry = InMemorySessionRegistry.builder()
                .idleTimeout(properties.sessions().idleTimeout())
                .absoluteLifetime(properties.sessions().absoluteLifetime())
                .maximumSessionsPerPrincipal(properties.sessions().maximumPerPrincipal())
                .clock(clock.getIfAvailable(Clock::systemUTC));
        revocations.ifAvailable(registry::revocations);
        return registry.build();
    }

    @Bean
    @ConditionalOnMissingBean
    Throttle mcpGuardThrottle(McpGuardProperties properties, ObjectProvider<Clock> clock,
                              ObjectProvider<RedisRateLimitStore> sharedStore) {
        TokenBucketThrottle.Builder throttle = TokenBucketThrottle.builder().clock(clock.getIfAvailable(Clock::systemUTC));
        sharedStore.ifAvailable(store -> throttle.sharedStore(store, StoreFailureMode.FAIL_CLOSED));
        int perMinute = properties.throttle().callsPerMinute();
        if (perMinute > 0) {
            throttle.limit(RateLimit.perCaller().perTool().capacity(perMinute).refillPerMinute(perMinute).build());
        }
        return throttle.build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    McpGuard mcpGuard(McpSdkVersionCheck sdk, McpGuardProperties properties, McpServerProperties server,
                      McpServerStreamableHttpProperties http, ObjectProvider<PolicyEngine> policyEngine,
                      ObjectProvider<McpGuardPolicy> policy, AuditSink auditSink, SessionRegistry sessions,
                      Throttle throttle, ObjectProvider<CredentialGuard> credentials, ObjectProvider<Clock> clock,
                      ObjectProvider<Guardrails> guardrails,
                      ObjectProvider<McpGuardBuilderCustomizer> customizers) {
        PolicyEngine engine = policyEngine.getIfAvailable(() -> policy.getObject().engine());
        McpGuard.Builder guard = McpGuard.builder()
                .serverName(properties.serverName().orElse(server.getName()))
                .mcpEndpoint(http.getMcpEndpoint())
                .policyEngine(engine)
                .auditSink(auditSink)
                .sessionRegistry(sessions)
                .throttle(throttle)
                .clock(clock.getIfAvailable(Clock::systemUTC));
        properties.resource().ifPresent(guard::resource);
        guard.mcpEndpoint(http.getMcpEndpoint());
        if (properties.validateArguments()) {
            guard.validateArguments();
        }
        credentials.ifAvailable(guard::credentials);
        // Guardrails are configured in code (which checks, per tool, an external classifier): declare the bean.
        guardrails.ifAvailable(guard::guardrails);
        customizers.orderedStream().forEach(customizer -> customizer.customize(guard));
        return guard.build();
    }

    /**
     * Telemetry: an {@code OpenTelemetry} bean (Spring Boot's, the agent's, yours) traces, measures and logs every
     * guarded request ({@code McpGuard.Builder.openTelemetry}; docs/telemetry.md). Only when the OpenTelemetry API
     * is on the class path: in its own class, so {@code McpGuard}'s bean method names no OpenTelemetry type.
     */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.opentelemetry.api.OpenTelemetry")
    static class OpenTelemetryConfiguration {
        @Bean
        McpGuardBuilderCustomizer mcpGuardOpenTelemetry(
                ObjectProvider<io.opentelemetry.api.OpenTelemetry> openTelemetry) {
            return guard -> openTelemetry.ifAvailable(guard::openTelemetry);
        }
    }

    /** Async servers: Spring AI declares no customizer of its own, so the guard's is the one. */
    @Bean
    @ConditionalOnMissingBean(McpAsyncServerCustomizer.class)
    @ConditionalOnProperty(prefix = McpServerProperties.CONFIG_PREFIX, name = "type", havingValue = "ASYNC")
    McpAsyncServerCustomizer mcpGuardAsyncServerCustomizer(ObjectProvider<McpGuard> guard) {
        return new GuardingCustomizers.Async(builder -> { }, guard::getObject);
    }

    /** mcp-guard's HTTP filter on the MCP endpoint and the RFC 9728 metadata path. */
    @Bean
    @ConditionalOnMissingBean(name = "mcpGuardHttpFilter")
    FilterRegistrationBean<DeferredMcpGuardHttpFilter> mcpGuardHttpFilter(
            McpGuard guard, McpGuardProperties properties, McpServerStreamableHttpProperties http,
            ObjectProvider<IdentityResolver> identityResolver, ObjectProvider<Clock> clock,
            ObjectProvider<WebMvcStreamableServerTransportProvider> streamable,
            ObjectProvider<WebMvcStatelessServerTransport> stateless) {
        McpGuardProperties.Identity identity = properties.identity();
        if (identityResolver.getIfAvailable() == null) {
            checkIssuerMetadata(identity);
        }
        DeferredMcpGuardHttpFilter filter = new DeferredMcpGuardHttpFilter(resource -> {
            IdentityResolver resolver = identityResolver.getIfAvailable(() -> identityResolver(identity, resource,
                    clock.getIfAvailable(Clock::systemUTC)));
            McpGuardHttpFilter.Builder builder = McpGuardHttpFilter.builder()
                    .sessionRegistry(guard.sessionRegistry())
                    .mcpPath(http.getMcpEndpoint())
                    .resource(resource)
                    .identityResolver(resolver)
                    .clock(clock.getIfAvailable(Clock::systemUTC));
            identity.allIssuers().values().forEach(issuer -> builder.authorizationServer(issuer.issuer()));
            if (!identity.scopesSupported().isEmpty()) {
                builder.scopesSupported(identity.scopesSupported().toArray(String[]::new));
            }
            identity.resourceName().ifPresent(builder::resourceName);
            properties.cors().allowedOrigins().forEach(builder::allowedOrigin);
            protocolVersions(streamable, stateless).ifPresent(builder::supportedProtocolVersions);
            return builder.build();
        }, http.getMcpEndpoint(), properties.resource().orElse(null));
        FilterRegistrationBean<DeferredMcpGuardHttpFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("mcpGuardHttpFilter");
        registration.setAsyncSupported(true);
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
        registration.addUrlPatterns(http.getMcpEndpoint(), http.getMcpEndpoint() + "/*",
                McpGuardHttpFilter.METADATA_PATH, McpGuardHttpFilter.METADATA_PATH + "/*");
        // After Spring Security's chain (order -100), so an Authentication it set can be mapped to the caller.
        registration.setOrder(Ordered.LOWEST_PRECEDENCE - 100);
        return registration;
    }

    /**
     * The {@code MCP-Protocol-Version} values the server's WebMVC transport supports, so the filter answers 400 for
     * exactly the others. Spring AI's WebMVC Streamable HTTP transport names its own list (2.0.1: it adds
     * 2024-11-05 to the SDK servlet transport's), so the filter's default, the SDK servlet transport's, would
     * refuse a version the server speaks. Empty when the application runs neither (the filter's default then).
     */
    static Optional<java.util.List<String>> protocolVersions(
            ObjectProvider<WebMvcStreamableServerTransportProvider> streamable,
            ObjectProvider<WebMvcStatelessServerTransport> stateless) {
        WebMvcStreamableServerTransportProvider sessions = streamable.getIfAvailable();
        if (sessions != null) {
            return Optional.of(sessions.protocolVersions());
        }
        return Optional.ofNullable(stateless.getIfAvailable()).map(WebMvcStatelessServerTransport::protocolVersions);
    }

    /** Starts the deferred filter when the web server listens (the bound port makes the resource URI). */
    @Bean
    static org.springframework.context.ApplicationListener<org.springframework.boot.web.server.context.WebServerInitializedEvent>
            mcpGuardResourceListener(ObjectProvider<FilterRegistrationBean<DeferredMcpGuardHttpFilter>> filter) {
        return event -> filter.ifAvailable(registration -> registration.getFilter().onApplicationEvent(event));
    }

    /** How long the start-up check may wait for an issuer's metadata document (the resolvers use their own). */
    static final Duration METADATA_CHECK_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration METADATA_CHECK_READ_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Reads the metadata of every issuer whose keys (no {@code jwks-uri}) or introspection endpoint come from it,
     * once, at start-up, with core's discovery ({@code JwtIdentityResolver.checkIssuerMetadata}: the document must
     * name the issuer exactly, and {@code https} endpoints), so a wrong issuer fails start-up naming the property
     * instead of refusing every token later. Bounded by {@link #METADATA_CHECK_CONNECT_TIMEOUT} and
     * {@link #METADATA_CHECK_READ_TIMEOUT} per document, longer than the resolvers' own timeouts so a cold
     * issuer's first answer does not fail start-up.
     */
    static void checkIssuerMetadata(McpGuardProperties.Identity identity) {
        identity.allIssuers().forEach((prefix, issuer) -> {
            JwtIdentityResolver.Builder check = jwtResolver(issuer, prefix, "urn:mcp-guard:start-up-check")
                    .jwksConnectTimeout(METADATA_CHECK_CONNECT_TIMEOUT)
                    .jwksReadTimeout(METADATA_CHECK_READ_TIMEOUT);
            try {
                built(check, issuer, prefix).checkIssuerMetadata();
            } catch (IOException e) {
                String hint = issuer.jwksUri().isPresent() ? "fix " + prefix + ".issuer or set "
                        + prefix + ".introspection.endpoint" : "fix " + prefix + ".issuer or set " + prefix
                        + ".jwks-uri";
                throw new InvalidConfigurationPropertyValueException(prefix + ".issuer", issuer.issuer(),
                        "its metadata could not be read or was refused (" + e.getMessage() + "); " + hint);
            }
        });
    }

    static IdentityResolver identityResolver(McpGuardProperties.Identity identity, URI resource, Clock clock) {
        List<IdentityResolver> resolvers = new ArrayList<>();
        java.util.Map<String, JwtIdentityResolver> byIssuer = new java.util.LinkedHashMap<>();
        java.util.Set<String> introspectingJwts = new java.util.HashSet<>();
        identity.allIssuers().forEach((prefix, issuer) -> {
            JwtIdentityResolver.Builder builder = jwtResolver(issuer, prefix, resource.toString())
                    .verifiedTokenCacheSize(identity.jwt().verifiedTokenCacheSize())
                    .verifiedTokensPerPrincipal(identity.jwt().verifiedTokensPerPrincipal())
                    .clock(clock);
            byIssuer.put(issuer.issuer().toString(), built(builder, issuer, prefix));
            if (issuer.introspection().enabled() && issuer.introspection().alsoForJwts()) {
                introspectingJwts.add(issuer.issuer().toString());
            }
        });
        if (!byIssuer.isEmpty()) {
            List<JwtIdentityResolver> jwts = List.copyOf(byIssuer.values());
            resolvers.add(jwts.size() == 1 ? jwts.get(0) : IdentityResolvers.byIssuer(jwts));
        }
        if (!identity.apiKeys().isEmpty()) {
            ApiKeyIdentityResolver.Builder keys = ApiKeyIdentityResolver.builder();
            for (McpGuardProperties.ApiKey key : identity.apiKeys()) {
                ApiKeyIdentityResolver.KeyEntry entry = ApiKeyIdentityResolver.KeyEntry.of(key.id(), key.sha256(),
                        key.subject()).withScopes(key.scopes()).withRoles(key.roles());
                keys.addKey(key.tenant().map(entry::withTenant).orElse(entry));
            }
            resolvers.add(keys.build());
        }
        if (resolvers.isEmpty()) {
            throw new InvalidConfigurationPropertyValueException("mcp.guard.identity.issuer", null,
                    "required: no way to authenticate callers is configured (set mcp.guard.identity.issuer, "
                    + "mcp.guard.identity.issuers or mcp.guard.identity.api-keys, or declare an IdentityResolver "
                    + "bean)");
        }
        IdentityResolver own = resolvers.size() == 1 ? resolvers.get(0) : IdentityResolvers.firstApplicable(resolvers);
        if (!byIssuer.isEmpty()
                && ClassUtils.isPresent(SPRING_SECURITY_JWT, McpGuardAutoConfiguration.class.getClassLoader())) {
            return new SpringSecurityIdentityResolver(byIssuer, introspectingJwts, own);
        }
        return own;
    }

    /** A resolver builder for one configured issuer; settings the properties did not validate fail naming them. */
    private static JwtIdentityResolver.Builder jwtResolver(McpGuardProperties.Issuer issuer, String prefix,
                                                           String resource) {
        JwtIdentityResolver.Builder builder = JwtIdentityResolver.builder()
                .issuer(issuer.issuer().toString())
                .audience(resource)
                .claimMapping(issuer.claims().toClaimMapping());
        issuer.audiences().forEach(builder::audience);
        issuer.jwksUri().ifPresent(builder::jwksUrl);
        if (issuer.introspection().enabled()) {
            try {
                builder.introspection(issuer.introspection().toTokenIntrospection());
            } catch (IllegalArgumentException | IllegalStateException e) {
                // The core's messages show values, never the secret.
                throw new InvalidConfigurationPropertyValueException(prefix + ".introspection.client-id",
                        issuer.introspection().clientId().orElse(null), e.getMessage());
            }
        }
        return builder;
    }

    private static JwtIdentityResolver built(JwtIdentityResolver.Builder builder, McpGuardProperties.Issuer issuer,
                                             String prefix) {
        try {
            return builder.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new InvalidConfigurationPropertyValueException(prefix + ".issuer", issuer.issuer(),
                    e.getMessage());
        }
    }

    /** When present, a JWT that Spring Security's resource server authenticated is mapped, not verified twice. */
    private static final String SPRING_SECURITY_JWT =
            "org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken";

    private static boolean isLoopback(URI uri) {
        String host = uri.getHost();
        return "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host);
    }

    private static String read(ApplicationContext context, String location, String property) {
        Resource resource = context.getResource(location);
        try (InputStream in = resource.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InvalidConfigurationPropertyValueException(property, location, "cannot be read: " + e.getMessage());
        }
    }

    private static McpTransportContextExtractor<ServerRequest> extractor(McpGuard guard) {
        McpTransportContextExtractor<jakarta.servlet.http.HttpServletRequest> servlet = guard.contextExtractor();
        return request -> servlet.extract(request.servletRequest());
    }

    /** Streamable HTTP: the transport with mcp-guard's context extractor, and the guarded one for the server. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = McpServerProperties.CONFIG_PREFIX, name = "protocol", havingValue = "STREAMABLE")
    static class StreamableTransport {

        @Bean
        @ConditionalOnMissingBean
        WebMvcStreamableServerTransportProvider webMvcStreamableServerTransportProvider(
                @Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper, McpServerStreamableHttpProperties http,
                McpGuard guard) {
            // Spring AI's bean, plus the extractor its auto-configuration offers no hook for.
            return WebMvcStreamableServerTransportProvider.builder()
                    .jsonMapper(new io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper(jsonMapper))
                    .mcpEndpoint(http.getMcpEndpoint())
                    .keepAliveInterval(http.getKeepAliveInterval())
                    .disallowDelete(http.isDisallowDelete())
                    .contextExtractor(extractor(guard))
                    .build();
        }

        /** The transport the server is built on (Spring AI's router function keeps the plain one). */
        @Bean
        @Primary
        McpStreamableServerTransportProvider mcpGuardStreamableTransport(
                WebMvcStreamableServerTransportProvider transport, McpGuard guard) {
            return guard.guardTransport(transport);
        }

        /** Ends the clients' listening streams at shutdown, so the graceful shutdown does not wait them out. */
        @Bean
        McpSessionsShutdown mcpGuardSessionsShutdown(McpStreamableServerTransportProvider mcpGuardStreamableTransport) {
            return new McpSessionsShutdown(mcpGuardStreamableTransport, Duration.ofSeconds(10));
        }
    }

    /** Stateless: the same for the stateless transport. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = McpServerProperties.CONFIG_PREFIX, name = "protocol", havingValue = "STATELESS")
    static class StatelessTransport {

        @Bean
        @ConditionalOnMissingBean
        WebMvcStatelessServerTransport webMvcStatelessServerTransport(
                @Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper, McpServerStreamableHttpProperties http,
                McpGuard guard) {
            return WebMvcStatelessServerTransport.builder()
                    .jsonMapper(new io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper(jsonMapper))
                    .messageEndpoint(http.getMcpEndpoint())
                    .contextExtractor(extractor(guard))
                    .build();
        }

        @Bean
        @Primary
        McpStatelessServerTransport mcpGuardStatelessTransport(WebMvcStatelessServerTransport transport,
                                                               McpGuard guard) {
            return guard.guardTransport(transport);
        }
    }

    /** Revocations and rate limits shared through Redis by every replica, when {@code mcp.guard.redis.url} is set. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.lettuce.core.RedisClient", "io.github.bucket4j.redis.lettuce.Bucket4jLettuce"})
    @ConditionalOnProperty(prefix = McpGuardProperties.PREFIX + ".redis", name = "url")
    static class SharedThroughRedis {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(RevocationList.class)
        RedisRevocationList mcpGuardRedisRevocations(McpGuardProperties properties, ObjectProvider<Clock> clock) {
            return RedisRevocationList.builder(properties.redis().url().orElseThrow().toString())
                    .clock(clock.getIfAvailable(Clock::systemUTC)).build();
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        RedisRateLimitStore mcpGuardRedisRateLimits(McpGuardProperties properties, ObjectProvider<Clock> clock) {
            return RedisRateLimitStore.builder(properties.redis().url().orElseThrow().toString())
                    .clock(clock.getIfAvailable(Clock::systemUTC)).build();
        }
    }

    /** SSE (Spring AI's default protocol) is not guarded: refuse to start rather than run unprotected. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = McpServerProperties.CONFIG_PREFIX, name = "protocol", havingValue = "SSE",
            matchIfMissing = true)
    static class SseRefused {
        @Bean
        Object mcpGuardSseRefused(McpServerProperties server) {
            if (server.isStdio()) {
                return "stdio";
            }
            throw new InvalidConfigurationPropertyValueException("spring.ai.mcp.server.protocol", "SSE",
                    "mcp-guard guards Streamable HTTP and stateless servers: set spring.ai.mcp.server.protocol="
                    + "STREAMABLE (or STATELESS), or mcp.guard.enabled=false");
        }
    }

}
