package dev.mcpguard.spring.actuator;

import dev.mcpguard.core.session.Revocation;
import dev.mcpguard.core.session.SessionAdmin;
import dev.mcpguard.core.session.SessionInfo;
import java.security.Principal;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * The {@code mcpguard} actuator endpoint: lists the MCP sessions bound in this process and the revocations in
 * force, and revokes a session, a subject, a tenant or a token ({@link SessionAdmin}).
 * <ul>
 *   <li>{@code GET /actuator/mcpguard}: {@code sessions} (session id, issuer, subject, tenant, created,
 *       last seen; at most {@value #MAX_LISTED}, most recently used first, {@code total} and {@code truncated}
 *       say how many there are) and {@code revocations} (kind, value, until);</li>
 *   <li>{@code DELETE /actuator/mcpguard/{kind}/{value}} with kind {@code session|subject|tenant|token}: revokes;
 *       {@code 400} for another kind or a value that is empty, longer than {@value #MAX_VALUE_CHARS} characters or
 *       holds control characters; {@code 503} when the revocation holds on this replica but could not be
 *       shared (Redis down).</li>
 * </ul>
 * Off by default ({@code defaultAccess = NONE}) and not in the default web exposure: an operator opts in with
 * {@code management.endpoint.mcpguard.access=unrestricted} and
 * {@code management.endpoints.web.exposure.include=mcpguard}, and must secure it (a management port on a private
 * network, Spring Security with an admin role): whoever reaches it can end any caller's sessions. It returns no
 * token, key or credential; session ids are administrative handles that authenticate nothing on their own (a
 * session is bound to the principal that opened it).
 *
 * <p>Thread-safe.
 */
@Endpoint(id = McpGuardEndpoint.ID, defaultAccess = Access.NONE)
public final class McpGuardEndpoint {

    /** The endpoint id. */
    public static final String ID = "mcpguard";
    static final int MAX_LISTED = 1_000;
    static final int MAX_VALUE_CHARS = 512;

    private static final Logger log = LoggerFactory.getLogger(McpGuardEndpoint.class);

    private final SessionAdmin admin;

    /** An endpoint over {@code admin}, typically the guard's session registry. */
    public McpGuardEndpoint(SessionAdmin admin) {
        this.admin = Objects.requireNonNull(admin, "admin");
    }

    /** Sessions and revocations. */
    @ReadOperation
    public Sessions sessions() {
        List<SessionInfo> all = admin.sessions();
        List<SessionView> listed = all.stream()
                .sorted(Comparator.comparing(SessionInfo::lastSeen).reversed())
                .limit(MAX_LISTED)
                .map(SessionView::of)
                .toList();
        List<RevocationView> revocations = admin.revocations().stream().limit(MAX_LISTED).map(RevocationView::of)
                .toList();
        return new Sessions(all.size(), all.size() > listed.size(), listed, revocations);
    }

    /** Revokes the session, subject, tenant or token {@code value}. */
    @DeleteOperation
    public WebEndpointResponse<Map<String, Object>> revoke(@Selector String kind, @Selector String value,
                                                           SecurityContext security) {
        Optional<Revocation.Kind> parsed = kindOf(kind);
        if (parsed.isEmpty()) {
            return new WebEndpointResponse<>(Map.of("error", "kind must be one of session, subject, tenant, token"),
                    WebEndpointResponse.STATUS_BAD_REQUEST);
        }
        if (!acceptable(value)) {
            return new WebEndpointResponse<>(Map.of("error", "value must be 1 to " + MAX_VALUE_CHARS
                    + " characters without control characters"), WebEndpointResponse.STATUS_BAD_REQUEST);
        }
        Revocation.Kind revoked = parsed.get();
        String operator = Optional.ofNullable(security).map(SecurityContext::getPrincipal).map(Principal::getName)
                .orElse("anonymous");
        try {
            switch (revoked) {
                case SESSION -> admin.revokeSession(value);
                case SUBJECT -> admin.revokeSubject(value);
                case TENANT -> admin.revokeTenant(value);
                case TOKEN -> admin.revokeToken(value);
            }
        } catch (IllegalStateException e) {
            log.warn("mcp-guard admin endpoint: revocation of a {} by {} holds on this replica only ({})",
                    revoked, operatorForLog(operator), e.getMessage());
            return new WebEndpointResponse<>(Map.of("revoked", revoked.name().toLowerCase(Locale.ROOT),
                    "shared", false, "error", "the revocation holds on this replica but could not be shared"),
                    WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE);
        }
        // The value is listed by GET; the log says what kind was revoked and by whom.
        log.info("mcp-guard admin endpoint: {} revoked by {}", revoked, operatorForLog(operator));
        return new WebEndpointResponse<>(Map.of("revoked", revoked.name().toLowerCase(Locale.ROOT), "shared", true),
                WebEndpointResponse.STATUS_OK);
    }

    private static Optional<Revocation.Kind> kindOf(String kind) {
        if (kind == null) {
            return Optional.empty();
        }
        return switch (kind) {
            case "session" -> Optional.of(Revocation.Kind.SESSION);
            case "subject" -> Optional.of(Revocation.Kind.SUBJECT);
            case "tenant" -> Optional.of(Revocation.Kind.TENANT);
            case "token" -> Optional.of(Revocation.Kind.TOKEN);
            default -> Optional.empty();
        };
    }

    private static boolean acceptable(String value) {
        return value != null && !value.isEmpty() && value.length() <= MAX_VALUE_CHARS
                && value.chars().noneMatch(Character::isISOControl);
    }

    private static String operatorForLog(String operator) {
        return acceptable(operator) && operator.length() <= 64 ? operator : "(unprintable)";
    }

    /**
     * What {@code GET} returns.
     *
     * @param total       live sessions in this process
     * @param truncated   whether {@code sessions} lists fewer than {@code total}
     * @param sessions    the most recently used sessions
     * @param revocations the revocations in force
     */
    public record Sessions(int total, boolean truncated, List<SessionView> sessions, List<RevocationView> revocations) {
    }

    /** One session as listed; {@code tenant} is null when unknown. */
    public record SessionView(String sessionId, String issuer, String subject, String tenant, String created,
                              String lastSeen) {
        static SessionView of(SessionInfo info) {
            return new SessionView(info.sessionId(), info.issuer(), info.subject(), info.tenant().orElse(null),
                    info.created().toString(), info.lastSeen().toString());
        }
    }

    /** One revocation as listed. */
    public record RevocationView(String kind, String value, String until) {
        static RevocationView of(Revocation revocation) {
            return new RevocationView(revocation.kind().name().toLowerCase(Locale.ROOT), revocation.value(),
                    revocation.until().toString());
        }
    }
}
