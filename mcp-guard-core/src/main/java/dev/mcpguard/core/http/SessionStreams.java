package dev.mcpguard.core.http;

import dev.mcpguard.api.spi.SessionRegistry.EndReason;
import dev.mcpguard.api.spi.SessionRegistry.SessionEndListener;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open GET (SSE) streams of each MCP session, so that they end when the session ends (revoked, expired,
 * deleted, evicted) instead of staying open on a session nobody may use any more, and so that one session holds
 * at most {@code maximumStreamsPerSession} of them: a further GET ends the session's oldest stream (a client that
 * reconnects after a network failure is not refused while the server has not yet noticed the old connection).
 *
 * <p>Thread-safe. Arguments are never null.
 */
final class SessionStreams implements SessionEndListener {

    private static final Logger log = LoggerFactory.getLogger(SessionStreams.class);

    private final int maximumStreamsPerSession;
    private final Map<String, Deque<AsyncContext>> streams = new ConcurrentHashMap<>();

    SessionStreams(int maximumStreamsPerSession) {
        if (maximumStreamsPerSession < 1) {
            throw new IllegalArgumentException("maximumStreamsPerSession must be at least 1, got "
                    + maximumStreamsPerSession);
        }
        this.maximumStreamsPerSession = maximumStreamsPerSession;
    }

    /**
     * Tracks the stream the server started on {@code async} for {@code sessionId}; ends the session's oldest
     * streams beyond the cap. The stream is forgotten when it completes, fails or times out.
     */
    void track(String sessionId, AsyncContext async) {
        List<AsyncContext> beyondCap = new ArrayList<>();
        streams.compute(sessionId, (id, open) -> {
            Deque<AsyncContext> deque = open == null ? new ArrayDeque<>() : open;
            deque.addLast(async);
            while (deque.size() > maximumStreamsPerSession) {
                beyondCap.add(deque.removeFirst());
            }
            return deque;
        });
        async.addListener(new Forget(sessionId, async));
        if (!beyondCap.isEmpty()) {
            log.debug("Ending {} GET stream(s) of an MCP session beyond the cap of {}", beyondCap.size(),
                    maximumStreamsPerSession);
            beyondCap.forEach(SessionStreams::complete);
        }
    }

    /** Ends every tracked stream of {@code sessionId}. */
    void endAll(String sessionId) {
        Deque<AsyncContext> open = streams.remove(sessionId);
        if (open == null) {
            return;
        }
        // Removed from the map, so nothing changes the deque any more.
        List.copyOf(open).forEach(SessionStreams::complete);
    }

    @Override
    public void sessionEnded(String sessionId, EndReason reason) {
        endAll(sessionId);
    }

    /** The number of tracked open streams of {@code sessionId}. */
    int openStreams(String sessionId) {
        Deque<AsyncContext> open = streams.get(sessionId);
        return open == null ? 0 : open.size();
    }

    private void forget(String sessionId, AsyncContext async) {
        streams.computeIfPresent(sessionId, (id, open) -> {
            open.remove(async);
            return open.isEmpty() ? null : open;
        });
    }

    private static void complete(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // Already completed or dispatched: the stream has ended anyway.
        }
    }

    /** Forgets a stream once the container reports it ended. */
    private final class Forget implements AsyncListener {
        private final String sessionId;
        private final AsyncContext async;

        Forget(String sessionId, AsyncContext async) {
            this.sessionId = sessionId;
            this.async = async;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            forget(sessionId, async);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            forget(sessionId, async);
        }

        @Override
        public void onError(AsyncEvent event) {
            forget(sessionId, async);
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Not re-registered by the container; nothing to do.
        }
    }
}
