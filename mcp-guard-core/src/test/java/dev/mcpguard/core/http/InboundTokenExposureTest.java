package dev.mcpguard.core.http;

import dev.mcpguard.core.mcp.McpSdkAdapter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import io.modelcontextprotocol.common.McpTransportContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The caller's inbound bearer token reaches the MCP layer (for RFC 8693 token exchange) only when the filter is
 * told to expose it, and only as a {@link Secret}. Mockito stands in for the servlet container at this seam;
 * {@code McpGuardHttpFilterTest} covers the filter in a real Tomcat.
 */
class InboundTokenExposureTest {

    private static final CallerIdentity ALICE = CallerIdentity.builder("https://issuer.test", "alice").build();
    private static final IdentityResolver ACCEPT_ALL = credential -> new IdentityResult.Authenticated(ALICE);

    private final Map<String, Object> attributes = new ConcurrentHashMap<>();

    private HttpServletRequest bearerRequest(String token) {
        HttpServletRequest request = mock(HttpServletRequest.class);
        // GET: a POST body is read and re-dispatched asynchronously, which needs a real container (McpGuardHttpFilterTest).
        when(request.getMethod()).thenReturn("GET");
        when(request.getServletPath()).thenReturn("/mcp");
        when(request.getRequestURI()).thenReturn("/mcp");
        when(request.getHeaders(anyString())).thenAnswer(i -> Collections.enumeration(
                "Authorization".equals(i.getArgument(0)) ? List.of("Bearer " + token) : List.<String>of()));
        when(request.getAttribute(anyString())).thenAnswer(i -> attributes.get(i.<String>getArgument(0)));
        org.mockito.Mockito.doAnswer(i -> attributes.put(i.getArgument(0), i.getArgument(1)))
                .when(request).setAttribute(anyString(), any());
        org.mockito.Mockito.doAnswer(i -> attributes.remove(i.<String>getArgument(0)))
                .when(request).removeAttribute(anyString());
        return request;
    }

    private static McpGuardHttpFilter.Builder filter() {
        return McpGuardHttpFilter.builder().identityResolver(ACCEPT_ALL)
                .sessionRegistry(InMemorySessionRegistry.ofDefaults())
                .resource(URI.create("https://orders.example.com/mcp"))
                .authorizationServer(URI.create("https://issuer.test"));
    }

    @Test
    void inboundTokenIsNotExposedByDefault() throws Exception {
        HttpServletRequest request = bearerRequest("token-value-1");
        FilterChain chain = mock(FilterChain.class);

        filter().build().doFilter(request, mock(HttpServletResponse.class), chain);

        verify(chain).doFilter(eq(request), any());
        verify(request, never()).setAttribute(eq(GuardRequestAttributes.INBOUND_TOKEN), any());
        assertThat(McpSdkAdapter.contextExtractor().extract(request).get(GuardRequestAttributes.INBOUND_TOKEN)).isNull();
    }

    @Test
    void inboundTokenIsExposedAsASecretWhenEnabledAndReachesTheTransportContext() throws Exception {
        HttpServletRequest request = bearerRequest("token-value-2");

        filter().exposeInboundTokenForTokenExchange().build()
                .doFilter(request, mock(HttpServletResponse.class), mock(FilterChain.class));

        McpTransportContext context = McpSdkAdapter.contextExtractor().extract(request);
        assertThat(context.get(GuardRequestAttributes.CALLER)).isEqualTo(ALICE);
        assertThat(context.get(GuardRequestAttributes.INBOUND_TOKEN)).isInstanceOfSatisfying(Secret.class, secret -> {
            assertThat(secret.revealUtf8()).isEqualTo("token-value-2");
            assertThat(secret.toString()).doesNotContain("token-value-2");
        });
    }

    @Test
    void aTokenAttributeSetBeforeTheFilterIsDiscarded() throws Exception {
        HttpServletRequest request = bearerRequest("token-value-3");
        attributes.put(GuardRequestAttributes.INBOUND_TOKEN, Secret.ofUtf8("smuggled"));

        filter().build().doFilter(request, mock(HttpServletResponse.class), mock(FilterChain.class));

        assertThat(attributes).doesNotContainKey(GuardRequestAttributes.INBOUND_TOKEN);
    }
}
