package dev.mcpguard.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * A real OAuth 2.0 server (mock-oauth2-server, in-process, loopback) with refresh token rotation on, as the
 * downstream token endpoint of credential tests. Not thread-safe for {@link #drainTokenRequests()}; close it.
 */
public final class OAuthServer implements AutoCloseable {

    public static final String ISSUER = "downstream";
    public static final String CLIENT_ID = "orders-mcp";
    public static final String CLIENT_SECRET = "orders-mcp-client-secret-Zq8";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final MockOAuth2Server server;

    public OAuthServer() {
        server = new MockOAuth2Server(new OAuth2Config(false, null, null, true));
        server.start(java.net.InetAddress.getLoopbackAddress(), 0);
    }

    public URI tokenEndpoint() {
        return server.tokenEndpointUrl(ISSUER).uri();
    }

    public MockOAuth2Server server() {
        return server;
    }

    /** Runs the authorization code flow as a user would, returning the token response (with a refresh token). */
    public JsonNode authorizationCodeGrant(String user) throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String redirect = "http://127.0.0.1/callback";
        URI authorize = URI.create(server.authorizationEndpointUrl(ISSUER) + "?response_type=code&client_id="
                + CLIENT_ID + "&redirect_uri=" + enc(redirect) + "&scope=" + enc("openid offline_access")
                + "&state=s1&nonce=n1&login_hint=" + enc(user));
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(authorize).build(), HttpResponse.BodyHandlers.ofString());
        String location = login.headers().firstValue("Location").orElseThrow(
                () -> new IllegalStateException("no redirect from authorize: " + login.statusCode()));
        String code = location.replaceAll(".*[?&]code=([^&]+).*", "$1");
        String form = "grant_type=authorization_code&code=" + code + "&redirect_uri=" + enc(redirect);
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(tokenEndpoint())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = JSON.readTree(token.body());
        if (!json.hasNonNull("refresh_token")) {
            throw new IllegalStateException("no refresh token in the code exchange: " + token.statusCode());
        }
        drainRequests();
        return json;
    }

    /** Counts and forgets the requests received so far that hit the token endpoint. */
    public int drainTokenRequests() throws InterruptedException {
        int count = 0;
        while (true) {
            RecordedRequest request;
            try {
                request = server.takeRequest(200, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                return count; // the queue is empty: mock-oauth2-server signals it by throwing
            }
            if (request != null && request.getPath() != null && request.getPath().endsWith("/token")) {
                count++;
            }
        }
    }

    public void drainRequests() throws InterruptedException {
        drainTokenRequests();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
