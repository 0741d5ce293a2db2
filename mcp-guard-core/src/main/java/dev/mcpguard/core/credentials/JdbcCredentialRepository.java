package dev.mcpguard.core.credentials;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Credential records in a SQL table, for many replicas sharing one store (tested on PostgreSQL; the SQL is
 * plain and portable). Rows hold ciphertext only; compare-and-set uses the {@code revision} column, so
 * replicas refreshing the same grant cannot overwrite each other's rotated refresh token.
 *
 * <p>Thread-safe as far as the {@link DataSource} is (use a pool in production). SQL failures become
 * {@link CredentialStoreException}s whose messages name the table and SQL state only.
 *
 * <pre>{@code
 * JdbcCredentialRepository repository = new JdbcCredentialRepository(dataSource, "mcp_guard_credentials");
 * repository.createTableIfMissing();
 * }</pre>
 */
public final class JdbcCredentialRepository implements CredentialRepository {

    private static final Pattern TABLE = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]{0,62}(\\.[a-zA-Z_][a-zA-Z0-9_]{0,62})?");
    private static final String COLUMNS = "id, tenant, owner_kind, owner_id, name, purpose, kind, key_version, "
            + "ciphertext, status, updated_at, revision";

    private final DataSource dataSource;
    private final String table;

    /** A repository in {@code table} (a plain or schema-qualified SQL identifier). */
    public JdbcCredentialRepository(DataSource dataSource, String table) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(table, "table");
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("table must be a plain SQL identifier, got '"
                    + CredentialKey.abbreviate(table) + "'");
        }
        this.table = table;
    }

    /** Creates the table if it does not exist (PostgreSQL syntax; other databases: create it yourself). */
    public void createTableIfMissing() {
        String ddl = "CREATE TABLE IF NOT EXISTS " + table + " ("
                + "id VARCHAR(64) NOT NULL UNIQUE, tenant VARCHAR(256) NOT NULL, owner_kind VARCHAR(16) NOT NULL, "
                + "owner_id VARCHAR(256) NOT NULL, name VARCHAR(64) NOT NULL, purpose VARCHAR(256) NOT NULL, "
                + "kind VARCHAR(16) NOT NULL, key_version BIGINT NOT NULL, ciphertext BYTEA NOT NULL, "
                + "status VARCHAR(32) NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL, "
                + "revision BIGINT NOT NULL, PRIMARY KEY (tenant, owner_kind, owner_id, name, purpose))";
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(ddl);
        } catch (SQLException e) {
            throw failure("create", e);
        }
    }

    @Override
    public Optional<CredentialRecord> find(CredentialKey key) {
        Objects.requireNonNull(key, "key");
        String sql = "SELECT " + COLUMNS + " FROM " + table
                + " WHERE tenant = ? AND owner_kind = ? AND owner_id = ? AND name = ? AND purpose = ?";
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            bindKey(s, 1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("read", e);
        }
    }

    @Override
    public List<CredentialRecord> findAll() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM " + table);
             ResultSet rs = s.executeQuery()) {
            List<CredentialRecord> records = new ArrayList<>();
            while (rs.next()) {
                records.add(read(rs));
            }
            return records;
        } catch (SQLException e) {
            throw failure("list", e);
        }
    }

    @Override
    public boolean compareAndSet(CredentialRecord record) {
        Objects.requireNonNull(record, "record");
        try (Connection c = dataSource.getConnection()) {
            if (record.revision() == 1) {
                return insert(c, record);
            }
            String sql = "UPDATE " + table + " SET id = ?, kind = ?, key_version = ?, ciphertext = ?, status = ?, "
                    + "updated_at = ?, revision = ? WHERE tenant = ? AND owner_kind = ? AND owner_id = ? AND name = ? "
                    + "AND purpose = ? AND revision = ?";
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, record.id());
                s.setString(2, record.kind());
                s.setLong(3, record.keyVersion());
                s.setBytes(4, record.ciphertext());
                s.setString(5, record.status().name());
                s.setTimestamp(6, Timestamp.from(record.updatedAt()));
                s.setLong(7, record.revision());
                bindKey(s, 8, record.key());
                s.setLong(13, record.revision() - 1);
                return s.executeUpdate() == 1;
            }
        } catch (SQLException e) {
            throw failure("write", e);
        }
    }

    private boolean insert(Connection c, CredentialRecord record) throws SQLException {
        String sql = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, record.id());
            bindKey(s, 2, record.key());
            s.setString(7, record.kind());
            s.setLong(8, record.keyVersion());
            s.setBytes(9, record.ciphertext());
            s.setString(10, record.status().name());
            s.setTimestamp(11, Timestamp.from(record.updatedAt()));
            s.setLong(12, record.revision());
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
                return false; // integrity constraint: another writer inserted this identity first
            }
            throw e;
        }
    }

    @Override
    public boolean delete(CredentialKey key) {
        Objects.requireNonNull(key, "key");
        String sql = "DELETE FROM " + table
                + " WHERE tenant = ? AND owner_kind = ? AND owner_id = ? AND name = ? AND purpose = ?";
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            bindKey(s, 1, key);
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw failure("delete", e);
        }
    }

    private static void bindKey(PreparedStatement s, int from, CredentialKey key) throws SQLException {
        s.setString(from, key.tenant());
        s.setString(from + 1, key.owner().kind().label());
        s.setString(from + 2, key.owner().id());
        s.setString(from + 3, key.name());
        s.setString(from + 4, key.purpose());
    }

    private static CredentialRecord read(ResultSet rs) throws SQLException {
        CredentialKey key = new CredentialKey(rs.getString("tenant"),
                new CredentialKey.Owner(CredentialKey.Owner.Kind.ofLabel(rs.getString("owner_kind")),
                        rs.getString("owner_id")), rs.getString("name"), rs.getString("purpose"));
        return new CredentialRecord(rs.getString("id"), key, rs.getString("kind"), rs.getLong("key_version"),
                rs.getBytes("ciphertext"), CredentialRecord.Status.valueOf(rs.getString("status")),
                rs.getTimestamp("updated_at").toInstant(), rs.getLong("revision"));
    }

    private CredentialStoreException failure(String what, SQLException e) {
        // SQL messages can echo parameter values (ciphertext only here), but keep them out of the message.
        return new CredentialStoreException("credential table " + table + ": " + what + " failed (SQL state "
                + e.getSQLState() + ")");
    }

    @Override
    public String toString() {
        return "JdbcCredentialRepository[" + table + "]";
    }
}
