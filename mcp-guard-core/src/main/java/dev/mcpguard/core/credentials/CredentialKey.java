package dev.mcpguard.core.credentials;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The identity of a stored credential: whose it is and what it is for. It is the associated data of the
 * credential's ciphertext (in {@link #associatedData() a canonical encoding}), so a ciphertext copied into another
 * record does not decrypt.
 *
 * <p>Immutable and thread-safe; components are never null.
 *
 * @param tenant  the tenant the credential belongs to, {@link #ANY_TENANT} for a service credential shared by
 *                all tenants, or {@link #NO_TENANT} for callers whose identity names no tenant
 * @param owner   a user (the issuer and subject the credential acts for) or a service
 * @param name    the logical name handlers and policies use, for example {@code crm-api}
 * @param purpose what it may be used for; the credentials provider uses the MCP server name
 */
public record CredentialKey(String tenant, Owner owner, String name, String purpose) {

    /** Tenant of service credentials shared across tenants. */
    public static final String ANY_TENANT = "*";
    /**
     * Tenant of credentials for callers whose identity names no tenant. Reserved: a caller whose identity claims
     * this tenant (or {@link #ANY_TENANT}) is given no credential at all, so no real tenant can share these.
     */
    public static final String NO_TENANT = "-";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final byte[] DOMAIN = "mcp-guard/credential/v1".getBytes(StandardCharsets.UTF_8);

    public CredentialKey {
        requireText(tenant, "tenant");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("credential name must match [a-z0-9][a-z0-9._-]{0,63}, got '"
                    + abbreviate(name) + "'");
        }
        requireText(purpose, "purpose");
    }

    /** A credential owned by the user {@code subject} of {@code issuer} (see {@link Owner#user(String, String)}). */
    public static CredentialKey ofUser(String tenant, String issuer, String subject, String name, String purpose) {
        return new CredentialKey(tenant, Owner.user(issuer, subject), name, purpose);
    }

    /** A credential owned by service {@code service}. */
    public static CredentialKey ofService(String tenant, String service, String name, String purpose) {
        return new CredentialKey(tenant, Owner.service(service), name, purpose);
    }

    /**
     * The canonical associated data: a domain tag and the five fields (tenant, owner kind, owner id, name,
     * purpose), each as a 4-byte big-endian length followed by its UTF-8 bytes. Unambiguous for any field
     * contents, so no two different keys share an encoding.
     */
    public byte[] associatedData() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        for (byte[] field : new byte[][] {DOMAIN, utf8(tenant), utf8(owner.kind().label()), utf8(owner.id()),
                utf8(name), utf8(purpose)}) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(field.length).array());
            out.writeBytes(field);
        }
        return out.toByteArray();
    }

    @Override
    public String toString() {
        return tenant + "/" + owner + "/" + name + "/" + purpose;
    }

    /**
     * Who a credential belongs to.
     *
     * @param kind a user or a service
     * @param id   for a user {@code <issuer>|<subject>} (the caller's token issuer, {@code api-key} for API keys,
     *             and subject), so equal subjects of different issuers never share; for a service its name
     */
    public record Owner(Kind kind, String id) {

        /** Separates issuer and subject in a user's id; issuers containing it cannot own user credentials. */
        public static final char ISSUER_SEPARATOR = '|';

        public Owner {
            Objects.requireNonNull(kind, "kind");
            requireText(id, "owner id");
        }

        /**
         * The user {@code subject} as vouched for by {@code issuer}: id {@code <issuer>|<subject>}.
         *
         * @throws IllegalArgumentException if either is blank or the issuer contains {@value #ISSUER_SEPARATOR}
         */
        public static Owner user(String issuer, String subject) {
            requireText(issuer, "issuer");
            requireText(subject, "subject");
            if (issuer.indexOf(ISSUER_SEPARATOR) >= 0) {
                throw new IllegalArgumentException("issuer must not contain '" + ISSUER_SEPARATOR + "', got '"
                        + abbreviate(issuer) + "'");
            }
            return new Owner(Kind.USER, issuer + ISSUER_SEPARATOR + subject);
        }

        public static Owner service(String service) {
            return new Owner(Kind.SERVICE, service);
        }

        /**
         * Parses {@code user:<issuer>|<subject>} (for example {@code user:https://login.example.com|alice} or
         * {@code user:api-key|billing-bot}) or {@code service:<name>}.
         */
        public static Owner parse(String text) {
            Objects.requireNonNull(text, "owner");
            int colon = text.indexOf(':');
            if (colon > 0) {
                String kind = text.substring(0, colon);
                String id = text.substring(colon + 1);
                if (kind.equals(Kind.USER.label())) {
                    int separator = id.indexOf(ISSUER_SEPARATOR);
                    if (separator > 0 && separator < id.length() - 1) {
                        return user(id.substring(0, separator), id.substring(separator + 1));
                    }
                } else if (kind.equals(Kind.SERVICE.label())) {
                    return new Owner(Kind.SERVICE, id);
                }
            }
            throw new IllegalArgumentException("owner must be user:<issuer>|<subject> or service:<name>, got '"
                    + abbreviate(text) + "'");
        }

        @Override
        public String toString() {
            return kind.label() + ":" + id;
        }

        /** Owner kinds. */
        public enum Kind {
            USER("user"), SERVICE("service");

            private final String label;

            Kind(String label) {
                this.label = label;
            }

            /** The lower-case label used in storage and the CLI. */
            public String label() {
                return label;
            }

            static Kind ofLabel(String label) {
                for (Kind k : values()) {
                    if (k.label.equals(label)) {
                        return k;
                    }
                }
                throw new IllegalArgumentException("unknown owner kind '" + abbreviate(label) + "'");
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void requireText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}
