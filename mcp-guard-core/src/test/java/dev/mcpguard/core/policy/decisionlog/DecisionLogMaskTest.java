package dev.mcpguard.core.policy.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionLogMaskTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static ObjectNode event(String json) throws Exception {
        return (ObjectNode) MAPPER.readTree(json);
    }

    @Test
    void erasesAPathThatIsThereAndListsIt() throws Exception {
        ObjectNode event = event("{\"input\": {\"arguments\": {\"a\": 1}, \"tool\": {\"name\": \"t\"}}}");
        List<String> erased = new ArrayList<>();
        List<String> masked = new ArrayList<>();

        new DecisionLogMask(List.of("/input/arguments", "/input/missing/x"), List.of()).apply(event, erased, masked);

        assertThat(event.toString()).isEqualTo("{\"input\":{\"tool\":{\"name\":\"t\"}}}");
        assertThat(erased).containsExactly("/input/arguments"); // as OPA: a path that is not there is not listed
        assertThat(masked).isEmpty();
    }

    @Test
    void masksByUpsertCreatingTheObjectsOnTheWayAsOpaDoes() throws Exception {
        ObjectNode event = event("{\"input\": {\"caller\": {\"subject\": \"alice\"}}}");
        List<String> erased = new ArrayList<>();
        List<String> masked = new ArrayList<>();

        new DecisionLogMask(List.of(), List.of("/input/caller/subject", "/input/extra/note", "/result/x"))
                .apply(event, erased, masked);

        assertThat(event.toString()).isEqualTo(
                "{\"input\":{\"caller\":{\"subject\":\"**REDACTED**\"},\"extra\":{\"note\":\"**REDACTED**\"}}}");
        assertThat(masked).containsExactly("/input/caller/subject", "/input/extra/note"); // no result: not created
    }

    @Test
    void alwaysMasksCredentialLikeMembersAnywhereInInputAndResult() throws Exception {
        ObjectNode event = event("{\"input\": {\"arguments\": {\"db_password\": \"p\", \"items\": [{\"apiKey\": \"k\"}],"
                + " \"a/b-token\": \"t\", \"empty_secret\": null}, \"caller\": {\"token_type\": \"at+jwt\"}},"
                + " \"result\": {\"obligations\": {\"Authorization\": \"Bearer x\"}}}");
        List<String> masked = new ArrayList<>();

        new DecisionLogMask(List.of(), List.of()).apply(event, new ArrayList<>(), masked);

        assertThat(event.toString()).doesNotContain("\"p\"", "\"k\"", "\"t\"", "Bearer x").contains("at+jwt")
                .contains("\"empty_secret\":null");
        assertThat(masked).containsExactly("/input/arguments/db_password", "/input/arguments/a%2Fb-token",
                "/input/arguments/items/0/apiKey", "/result/obligations/Authorization");
    }

    @Test
    void tellsCredentialNamesFromOthers() {
        assertThat(List.of("password", "DB_PASSWORD", "apiKey", "api-key", "csrf_token", "client_secret", "Cookie",
                "private_key", "credentials")).allMatch(DecisionLogMask::isCredentialName);
        assertThat(List.of("token_type", "max_tokens", "order_id", "decision_id", "description_sha256", "subject"))
                .noneMatch(DecisionLogMask::isCredentialName);
    }

    @Test
    void rejectsPathsOutsideInputAndResultNamingThem() {
        assertThatThrownBy(() -> new DecisionLogMask(List.of("/labels/id"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/labels/id");
        assertThatThrownBy(() -> new DecisionLogMask(List.of("input/arguments"), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input/arguments");
        assertThatThrownBy(() -> new DecisionLogMask(List.of(), List.of("/input//x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/input//x");
    }
}
