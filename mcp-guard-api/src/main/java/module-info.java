/**
 * The vocabulary of mcp-guard: tool calls, caller identities, decisions, the guard contract and the SPIs that
 * {@code mcp-guard-core} implements and users may replace. It depends on the JDK only
 * ({@code java.net.http}, for {@code GuardContext#authorizeRequest}).
 *
 * <p>Every package is exported: this module holds public vocabulary only ({@code ModuleExportsTest} checks that
 * a new package is not forgotten here).
 */
module dev.mcpguard.api {
    requires transitive java.net.http;

    exports dev.mcpguard.api;
    exports dev.mcpguard.api.spi;
}
