package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How the orders team's refund handler talks to the payments API. It never holds a token: the caller passes the
 * request decorator that mcp-guard's {@code GuardContext.authorizeRequest} returned, which sets the
 * {@code Authorization} header. Thread-safe.
 */
final class PaymentsClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final URI refunds;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    PaymentsClient(URI refunds) {
        this.refunds = Objects.requireNonNull(refunds, "refunds");
    }

    /** The payment provider refused the refund (for example 401: it did not accept the credential). */
    static final class PaymentRefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PaymentRefusedException(String message) {
            super(message);
        }
    }

    /**
     * Pays {@code amount} of order {@code orderId} back; the payment reference.
     *
     * @throws PaymentRefusedException when the provider answers anything but 2xx
     * @throws OrderBook.PaymentProviderException when the provider cannot be reached
     */
    String refund(UnaryOperator<HttpRequest.Builder> authorization, String orderId, BigDecimal amount) {
        HttpRequest request;
        try {
            request = authorization.apply(HttpRequest.newBuilder(refunds))
                    .timeout(TIMEOUT)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                            Map.of("order_id", orderId, "amount", amount))))
                    .build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a refund request", e);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new OrderBook.PaymentProviderException("payment provider " + refunds.getAuthority()
                    + " did not answer: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrderBook.PaymentProviderException("interrupted while calling the payment provider");
        }
        if (response.statusCode() / 100 != 2) {
            throw new PaymentRefusedException("The payment provider refused the refund (HTTP "
                    + response.statusCode() + ").");
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            return body.path("payment_reference").asText("unknown");
        } catch (IOException e) {
            throw new OrderBook.PaymentProviderException("payment provider answered with malformed JSON");
        }
    }
}
