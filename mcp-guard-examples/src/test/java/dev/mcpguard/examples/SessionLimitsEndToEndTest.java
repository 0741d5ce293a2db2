package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.session.SessionInfo;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, item 3, from outside with ordinary tokens and raw Streamable HTTP: one token cannot hold more than the
 * per-principal cap of sessions, and opening more never costs another principal theirs.
 */
class SessionLimitsEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void oneTokenHoldsAtMostTheCapOfSessionsAndAnotherPrincipalsSessionSurvives() {
        String graceToken = fixture.tokenFor(DemoUser.GRACE);
        String graceSession = fixture.openRawSession(graceToken);
        String aliceToken = fixture.tokenFor(DemoUser.ALICE);
        int cap = InMemorySessionRegistry.DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL;

        List<String> opened = new ArrayList<>();
        for (int i = 0; i < cap + 40; i++) {
            opened.add(fixture.openRawSession(aliceToken));
        }

        long aliceLive = fixture.server().sessions().sessions().stream()
                .filter(session -> session.subject().equals("alice")).count();
        System.out.printf("sessions per principal after %d initializes with one token: %d (cap %d)%n",
                opened.size(), aliceLive, cap);
        assertThat(aliceLive).isEqualTo(cap);
        assertThat(fixture.server().sessions().sessions()).extracting(SessionInfo::sessionId).contains(graceSession);
        HttpResponse<String> graceCall = fixture.rawPost(graceToken, graceSession,
                OrdersServerFixture.toolsCall(3, "list_orders", "{}"));
        assertThat(graceCall.statusCode()).as("the other principal's session still works").isEqualTo(200);
        HttpResponse<String> newest = fixture.rawPost(aliceToken, opened.get(opened.size() - 1),
                OrdersServerFixture.toolsCall(4, "list_orders", "{}"));
        assertThat(newest.statusCode()).as("the newest session of the capped principal works").isEqualTo(200);
        HttpResponse<String> oldest = fixture.rawPost(aliceToken, opened.get(0),
                OrdersServerFixture.toolsCall(5, "list_orders", "{}"));
        assertThat(oldest.statusCode()).as("its least recently used session was ended to make room").isEqualTo(404);
    }
}
