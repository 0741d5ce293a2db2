package dev.mcpguard.core.identity;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * Starts mock-oauth2-server and asks it for one metadata document and key set, without a deadline, before a test
 * runs: its first answers initialise it and can take seconds on a loaded machine, longer than the resolver's
 * discovery deadline (connect plus read timeout, 4 s by default), which would make a test's first discovery fail
 * for reasons that have nothing to do with the code under test.
 */
final class WarmedMockOAuth2Server {

    private WarmedMockOAuth2Server() {
    }

    static MockOAuth2Server start() {
        MockOAuth2Server server = new MockOAuth2Server();
        server.start();
        for (var url : new java.net.URL[] {server.wellKnownUrl("warm-up").url(), server.jwksUrl("warm-up").url()}) {
            try (InputStream in = url.openStream()) {
                in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("mock-oauth2-server did not answer " + url, e);
            }
        }
        return server;
    }
}
