package dev.mcpguard.core.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real, throwaway PostgreSQL cluster for tests: {@code initdb} in a temp directory (as the {@code postgres}
 * OS user when running as root), started on a free loopback port, one per JVM, stopped and deleted when the test
 * run ends. Use as {@code @ExtendWith(PostgresServer.class)} and take a {@link DataSource} parameter.
 */
public final class PostgresServer implements ParameterResolver {

    private static final String DATABASE = "mcpguard";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DataSource.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Cluster cluster = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Cluster.class, k -> Cluster.start(), Cluster.class);
        return cluster.dataSource(DATABASE);
    }

    @SuppressWarnings("deprecation")
    static final class Cluster implements ExtensionContext.Store.CloseableResource {
        private final Path bin;
        private final Path dir;
        private final int port;

        private Cluster(Path bin, Path dir, int port) {
            this.bin = bin;
            this.dir = dir;
            this.port = port;
        }

        static Cluster start() {
            Path bin = Path.of(ExternalTool.ensure("postgres"));
            try {
                Path dir = Files.createTempDirectory("mcp-guard-pg");
                boolean root = "root".equals(System.getProperty("user.name"));
                if (root) {
                    ExternalTool.exec(List.of("chown", "postgres:postgres", dir.toString()), 30);
                }
                int port;
                try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                    port = socket.getLocalPort();
                }
                Cluster cluster = new Cluster(bin, dir, port);
                cluster.asPostgres(root, bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(),
                        "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync");
                cluster.asPostgres(root, bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                        "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
                try (Connection c = cluster.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + DATABASE);
                }
                return cluster;
            } catch (Exception e) {
                throw new IllegalStateException("PostgreSQL test cluster could not start", e);
            }
        }

        private void asPostgres(boolean root, String... command) {
            List<String> full = new ArrayList<>();
            if (root) {
                full.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            full.addAll(List.of(command));
            ExternalTool.exec(full, 120);
        }

        DataSource dataSource(String database) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setServerNames(new String[] {"127.0.0.1"});
            ds.setPortNumbers(new int[] {port});
            ds.setDatabaseName(database);
            ds.setUser("postgres");
            return ds;
        }

        @Override
        public void close() throws IOException {
            boolean root = "root".equals(System.getProperty("user.name"));
            try {
                asPostgres(root, bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                        "-m", "immediate", "-w", "stop");
            } finally {
                ExternalTool.exec(List.of("rm", "-rf", dir.toString()), 60);
            }
        }
    }
}
