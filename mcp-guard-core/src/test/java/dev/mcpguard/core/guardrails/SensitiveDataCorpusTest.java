package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed {@code pii.jsonl} and {@code secrets.jsonl} are exactly what {@link SensitiveDataCorpusGenerator}
 * writes, so they can be regenerated and reviewed as a diff. To rewrite them after changing the generator:
 * {@code mvn -q -o -pl mcp-guard-core -am test -Dtest=SensitiveDataCorpusTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dguardrails.corpus.write=true}.
 */
class SensitiveDataCorpusTest {

    private static final Path CORPUS = Path.of("src/test/resources/guardrails/corpus");

    @Test
    void committedCorporaAreWhatTheGeneratorWrites() throws IOException {
        check("pii.jsonl", new SensitiveDataCorpusGenerator().pii());
        check("secrets.jsonl", new SensitiveDataCorpusGenerator().secrets());
    }

    private static void check(String file, List<String> generated) throws IOException {
        Path path = CORPUS.resolve(file);
        if (Boolean.getBoolean("guardrails.corpus.write")) {
            Files.write(path, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.readAllLines(path, StandardCharsets.UTF_8)).as(file).isEqualTo(generated);
    }
}
