package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.http.JsonRpcMessageInspector.Kind;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonRpcMessageInspectorTest {

    private final JsonRpcMessageInspector inspector = new JsonRpcMessageInspector();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}|REQUEST",
            "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}|REQUEST",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}|NOTIFICATION",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}|NOTIFICATION",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}|RESPONSE",
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-1,\"message\":\"x\"}}|RESPONSE",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/made_up\"}|UNKNOWN_NOTIFICATION",
            "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\"}|UNKNOWN_NOTIFICATION",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}|MALFORMED",
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"payload\":1}|MALFORMED",
            "\"2.0\"|MALFORMED",
            "{\"jsonrpc\":|MALFORMED",
    })
    void classifiesMessages(String body, Kind expected) {
        assertThat(inspector.inspect(body.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void refusesAnEmptyBodyAndAnOverlongMethodName() {
        assertThat(inspector.inspect(new byte[0]).kind()).isEqualTo(Kind.MALFORMED);
        String longMethod = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + "m".repeat(129) + "\"}";
        assertThat(inspector.inspect(longMethod.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(Kind.MALFORMED);
    }
}
