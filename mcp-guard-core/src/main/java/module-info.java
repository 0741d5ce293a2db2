/**
 * The mcp-guard implementation: the guard chain, the MCP Java SDK adapter, the HTTP filter, identity, OPA policy,
 * credentials, throttling, sessions and audit.
 *
 * <p>Every package is exported except {@code dev.mcpguard.core.internal}, which holds helpers shared between our
 * packages (client-text sanitising, bounded HTTP bodies, id generation, Redis settings) and is not API:
 * {@code ModuleExportsTest} checks that a new package is not forgotten here and that {@code internal} stays
 * unexported. Dependencies used only by optional features (Tink, Redis, PostgreSQL, the servlet API) are
 * {@code requires static}: add them to your build when you use the feature.
 *
 * <p>On the class path (the usual case) this descriptor is ignored and the module name comes from the same
 * value; on the module path, the OPA wasm runtime ({@code opa-java-wasm}) and re2j are automatic modules named
 * after their files ({@code opa.java.wasm}, {@code re2j}) because they declare no module name.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.mcpguard.core {
    requires transitive dev.mcpguard.api;
    requires transitive io.modelcontextprotocol.sdk.mcp.core;
    requires transitive reactor.core;
    requires transitive com.fasterxml.jackson.databind;
    requires transitive java.net.http;
    requires static transitive jakarta.servlet;

    requires io.modelcontextprotocol.sdk.mcp.json.jackson2;
    requires com.networknt.schema;
    requires com.fasterxml.jackson.core;
    requires com.github.benmanes.caffeine;
    requires transitive com.nimbusds.jose.jwt;
    requires org.slf4j;
    requires opa.java.wasm;
    requires com.dylibso.chicory.runtime;
    requires com.dylibso.chicory.wasm;
    requires org.apache.commons.compress;
    requires re2j;
    requires com.ibm.icu;
    requires com.google.i18n.phonenumbers.libphonenumber;
    requires transitive io.github.bucket4j.core;
    requires transitive java.sql;

    requires static transitive com.google.crypto.tink;
    requires static io.github.bucket4j.lettuce;
    requires static lettuce.core;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;

    exports dev.mcpguard.core;
    exports dev.mcpguard.core.audit;
    exports dev.mcpguard.core.audit.chain;
    exports dev.mcpguard.core.audit.cli;
    exports dev.mcpguard.core.chain;
    exports dev.mcpguard.core.credentials;
    exports dev.mcpguard.core.credentials.cli;
    exports dev.mcpguard.core.guardrails;
    exports dev.mcpguard.core.http;
    exports dev.mcpguard.core.identity;
    exports dev.mcpguard.core.mcp;
    exports dev.mcpguard.core.obligations;
    exports dev.mcpguard.core.policy;
    exports dev.mcpguard.core.policy.decisionlog;
    exports dev.mcpguard.core.policy.opa;
    exports dev.mcpguard.core.session;
    exports dev.mcpguard.core.telemetry;
    exports dev.mcpguard.core.throttle;

    // The decision cache's key is written by Jackson from a package-private record.
    opens dev.mcpguard.core.policy to com.fasterxml.jackson.databind;
}
