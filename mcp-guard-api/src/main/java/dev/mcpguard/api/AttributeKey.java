package dev.mcpguard.api;

import java.util.Objects;

/**
 * A typed key for a fact a guard attaches to a {@link ToolCall} for the guards after it (and for the audit
 * record), in the manner of gRPC's {@code Context.Key}. Keys compare by identity: two keys with the same name
 * are different keys, so a guard cannot read or overwrite another guard's facts by guessing a name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the type of the value
 */
public final class AttributeKey<T> {

    private final String name;
    private final Class<T> type;

    private AttributeKey(String name, Class<T> type) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
    }

    /** Creates a new key; keep it in a {@code static final} field. */
    public static <T> AttributeKey<T> of(String name, Class<T> type) {
        return new AttributeKey<>(name, type);
    }

    public String name() {
        return name;
    }

    T cast(Object value) {
        return type.cast(value);
    }

    @Override
    public String toString() {
        return "AttributeKey[" + name + "]";
    }
}
