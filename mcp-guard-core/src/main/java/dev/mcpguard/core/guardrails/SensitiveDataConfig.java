package dev.mcpguard.core.guardrails;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which personal data and secrets the sensitive-data guardrail looks for, and how it reads phone numbers. The
 * kinds are listed in {@code docs/guardrails.md} ({@code pii.payment_card}, {@code pii.iban}, {@code pii.email},
 * {@code pii.phone}, {@code pii.us_ssn}, {@code pii.cz_sk_birth_number}, {@code secret.aws_access_key},
 * {@code secret.github_token}, ... {@code secret.generic}).
 *
 * <pre>{@code
 * SensitiveDataConfig config = SensitiveDataConfig.custom()
 *         .phoneRegion("CZ")
 *         .kinds(Set.of("pii.payment_card", "pii.iban", "secret.github_token"))
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; the builder is not thread-safe.
 */
public final class SensitiveDataConfig {

    /** The region national-format phone numbers are read in unless configured: {@value}. */
    public static final String DEFAULT_PHONE_REGION = "US";

    private static final SensitiveDataConfig DEFAULTS = custom().build();

    private final Set<String> kinds;
    private final String phoneRegion;

    private SensitiveDataConfig(Builder builder) {
        this.kinds = Set.copyOf(builder.kinds);
        this.phoneRegion = builder.phoneRegion;
    }

    /** Every kind, phone numbers read in {@value #DEFAULT_PHONE_REGION}. */
    public static SensitiveDataConfig ofDefaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** Every kind the guardrail can look for, sorted. */
    public static Set<String> knownKinds() {
        Set<String> all = new TreeSet<>(PersonalDataDetector.KINDS);
        all.addAll(SecretDetector.KINDS);
        return all;
    }

    /**
     * A function that masks every kind of this config in a text, with the masks results get (see
     * {@code docs/guardrails.md}); the audit record's raw argument values go through it. Thread-safe.
     *
     * @param clock dates birth numbers (a number of a future date is not one)
     */
    public java.util.function.UnaryOperator<String> masker(java.time.Clock clock) {
        SensitiveDataRedactor redactor = SensitiveDataRedactor.of(this, clock);
        return redactor::redactText;
    }

    /** The kinds looked for. */
    public Set<String> kinds() {
        return kinds;
    }

    /** The CLDR region phone numbers without a country code are read in. */
    public String phoneRegion() {
        return phoneRegion;
    }

    @Override
    public String toString() {
        return "SensitiveDataConfig[kinds=" + new TreeSet<>(kinds) + ", phoneRegion=" + phoneRegion + "]";
    }

    /** Builds a {@link SensitiveDataConfig}; setters reject bad values with a message that shows them. */
    public static final class Builder {
        private Set<String> kinds = knownKinds();
        private String phoneRegion = DEFAULT_PHONE_REGION;

        private Builder() {
        }

        /** The kinds to look for (default: all); each must be one of {@link #knownKinds()}; not empty. */
        public Builder kinds(Collection<String> kinds) {
            Objects.requireNonNull(kinds, "kinds");
            Set<String> known = knownKinds();
            for (String kind : kinds) {
                if (!known.contains(kind)) {
                    throw new IllegalArgumentException("unknown sensitive-data kind '" + kind + "'; known: " + known);
                }
            }
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("kinds must not be empty (switch the guardrail off instead)");
            }
            this.kinds = Set.copyOf(kinds);
            return this;
        }

        /** A two-letter CLDR region libphonenumber supports ({@code "US"}, {@code "CZ"}, {@code "GB"}). */
        public Builder phoneRegion(String region) {
            Objects.requireNonNull(region, "region");
            if (!PhoneNumberUtil.getInstance().getSupportedRegions().contains(region)) {
                throw new IllegalArgumentException("phoneRegion must be a region libphonenumber supports, got '"
                        + region + "'");
            }
            this.phoneRegion = region;
            return this;
        }

        public SensitiveDataConfig build() {
            return new SensitiveDataConfig(this);
        }
    }
}
