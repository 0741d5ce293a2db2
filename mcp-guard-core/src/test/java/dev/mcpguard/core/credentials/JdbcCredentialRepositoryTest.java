package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.testing.PostgresServer;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The JDBC backend against a real PostgreSQL: the same contract as the file backend. */
@ExtendWith(PostgresServer.class)
class JdbcCredentialRepositoryTest extends CredentialRepositoryContract {

    private static final AtomicInteger TABLES = new AtomicInteger();

    private JdbcCredentialRepository repository;

    @BeforeEach
    void setUp(DataSource dataSource) {
        repository = new JdbcCredentialRepository(dataSource, "credentials_" + TABLES.incrementAndGet());
        repository.createTableIfMissing();
        repository.createTableIfMissing(); // idempotent
    }

    @Override
    CredentialRepository repository() {
        return repository;
    }

    @Test
    void refusesATableNameThatIsNotAPlainIdentifier(DataSource dataSource) {
        assertThatThrownBy(() -> new JdbcCredentialRepository(dataSource, "x; DROP TABLE y"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x; DROP TABLE y");
    }

    @Test
    void aDatabaseFailureIsAStoreExceptionNamingOnlyTheTableAndState(DataSource dataSource) {
        JdbcCredentialRepository missing = new JdbcCredentialRepository(dataSource, "no_such_table");

        assertThatThrownBy(() -> missing.find(KEY)).isInstanceOf(CredentialStoreException.class)
                .hasMessage("credential table no_such_table: read failed (SQL state 42P01)");
        assertThat(repository.findAll()).isEmpty();
    }
}
