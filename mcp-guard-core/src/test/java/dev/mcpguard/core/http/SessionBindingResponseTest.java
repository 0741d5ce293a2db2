package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;

class SessionBindingResponseTest {

    final CallerIdentity alice = CallerIdentity.builder("https://issuer", "alice").build();
    final CallerIdentity bob = CallerIdentity.builder("https://issuer", "bob").build();
    final InMemorySessionRegistry registry = InMemorySessionRegistry.ofDefaults();
    final HttpServletResponse servletResponse = mock(HttpServletResponse.class);

    @Test
    void bindsASessionIdSetUnderAnyHeaderNameCase() {
        new SessionBindingResponse(servletResponse, alice, registry, null).addHeader("mcp-session-id", "s-1");

        assertThat(registry.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        verify(servletResponse).addHeader("mcp-session-id", "s-1");
    }

    @Test
    void withholdsASessionIdThatCannotBeBoundToTheCaller() {
        registry.bind("s-1", bob);

        new SessionBindingResponse(servletResponse, alice, registry, null).setHeader("Mcp-Session-Id", "s-1");

        verify(servletResponse, never()).setHeader(anyString(), anyString());
        assertThat(registry.check("s-1", bob)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void passesOtherHeadersThrough() {
        new SessionBindingResponse(servletResponse, alice, registry, null).setHeader("Content-Type", "text/plain");

        verify(servletResponse).setHeader("Content-Type", "text/plain");
    }
}
