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
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":[1,}}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"extra\":{\"a\":}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} {}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"|MALFORMED",
            "[1,|MALFORMED",
            "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":null}|REQUEST",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":\"x\"}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}|RESPONSE",
            "{\"id\":1,\"jsonrpc\":\"2.0\",\"params\":{\"deep\":[{\"x\":[1,2,{\"y\":null}]}]},\"method\":\"tools/call\"}|REQUEST",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":7}|MALFORMED",
            "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"method\":\"notifications/initialized\"}|NOTIFICATION",
            "{\"jsonrpc\":\"1.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}|REQUEST",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":null,\"method\":\"ping\"}|MALFORMED",
            "'   '|MALFORMED",
    })
    void classifiesMessages(String body, Kind expected) {
        assertThat(inspector.inspect(body.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void refusesNestingDeeperThanTheLimitAnywhereInTheMessage() {
        int depth = JsonRpcMessageInspector.MAX_NESTING_DEPTH + 1;
        String deep = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"a\":"
                + "[".repeat(depth) + "]".repeat(depth) + "}}";
        assertThat(inspector.inspect(deep.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(Kind.MALFORMED);
        String shallow = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"a\":"
                + "[".repeat(100) + "]".repeat(100) + "}}";
        assertThat(inspector.inspect(shallow.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(Kind.REQUEST);
    }

    @org.junit.jupiter.api.Test
    void refusesANumberLongerThanTheParserAllowsInsideTheArguments() {
        String huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"n\":"
                + "9".repeat(5_000) + "}}";
        assertThat(inspector.inspect(huge.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(Kind.MALFORMED);
    }

    @org.junit.jupiter.api.Test
    void inspectsOnlyTheGivenLength() {
        byte[] padded = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}garbage".getBytes(StandardCharsets.UTF_8);
        assertThat(inspector.inspect(padded, padded.length - "garbage".length()).kind()).isEqualTo(Kind.REQUEST);
        assertThat(inspector.inspect(padded).kind()).isEqualTo(Kind.MALFORMED);
    }

    @org.junit.jupiter.api.Test
    void refusesAnEmptyBodyAndAnOverlongMethodName() {
        assertThat(inspector.inspect(new byte[0]).kind()).isEqualTo(Kind.MALFORMED);
        String longMethod = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + "m".repeat(129) + "\"}";
        assertThat(inspector.inspect(longMethod.getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(Kind.MALFORMED);
    }
}
