package dev.mcpguard.core.internal;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntPredicate;

/**
 * One HTTP exchange bounded in time and size, body included: {@link HttpRequest#timeout()} only bounds the wait
 * for the response headers, so a server that sends headers and then trickles the body would otherwise hold the
 * caller forever. Shared by the remote policy engine, the HTTPS bundle source and the OAuth token endpoint
 * client. Stateless and thread-safe. Internal to mcp-guard: not a supported API.
 */
public final class BoundedHttpExchange {

    private BoundedHttpExchange() {
    }

    /**
     * Sends {@code request} and collects the body of a {@code 200} answer (at most {@code maxBodyBytes}); any
     * other status gets an empty body. The whole exchange must finish within {@code deadline}.
     *
     * @throws TimeoutException                                   the deadline passed (the exchange is cancelled)
     * @throws BoundedBodySubscriber.ResponseTooLargeException the body is (or is declared) over the limit
     * @throws IOException                                        the exchange failed (refused, reset, truncated)
     */
    public static HttpResponse<byte[]> send(HttpClient http, HttpRequest request, int maxBodyBytes, Duration deadline)
            throws IOException, InterruptedException, TimeoutException {
        return send(http, request, maxBodyBytes, deadline, status -> status == 200);
    }

    /**
     * Like {@link #send(HttpClient, HttpRequest, int, Duration)}, collecting the body (bounded) of every answer
     * whose status {@code bodyWanted} accepts, for example error bodies that carry an OAuth {@code error} code.
     */
    public static HttpResponse<byte[]> send(HttpClient http, HttpRequest request, int maxBodyBytes, Duration deadline,
                                            IntPredicate bodyWanted)
            throws IOException, InterruptedException, TimeoutException {
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request,
                boundedBody(maxBodyBytes, bodyWanted));
        try {
            return exchange.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException timeout) {
                throw new TimeoutException(timeout.getMessage());
            }
            if (cause instanceof IOException io) {
                // The JDK wraps the subscriber's failure; find ours to tell "too large" from "unavailable".
                for (Throwable t = io; t != null; t = t.getCause()) {
                    if (t instanceof BoundedBodySubscriber.ResponseTooLargeException tooLarge) {
                        throw tooLarge;
                    }
                }
                throw io;
            }
            throw new IOException(cause == null ? "exchange failed" : cause.getClass().getName(), cause);
        }
    }

    /**
     * A body handler that collects (at most {@code maxBodyBytes}; over it the body fails with
     * {@link BoundedBodySubscriber.ResponseTooLargeException}, declared or read) the body of every answer whose status
     * {@code bodyWanted} accepts, and discards the others; for callers that use {@link HttpClient#sendAsync} and bound
     * the exchange's time themselves.
     */
    public static HttpResponse.BodyHandler<byte[]> boundedBody(int maxBodyBytes, IntPredicate bodyWanted) {
        return info -> bodyWanted.test(info.statusCode())
                ? new BoundedBodySubscriber(maxBodyBytes,
                        info.headers().firstValueAsLong("Content-Length").orElse(-1))
                : HttpResponse.BodySubscribers.replacing(new byte[0]);
    }
}
